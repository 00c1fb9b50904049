import fs from 'node:fs'
import readline from 'node:readline'
import { exampleText } from '../../../shared/dataset/formatted-example'
import type { FormattedExample } from '../../../shared/dataset/formatted-example'

export class TrainingFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TrainingFileError'
  }
}

/**
 * The example texts of a train.jsonl, streamed line by line: `{prompt, response}` lines give
 * prompt + response (exactly what the runtime tokenizes), `{text}` lines give text. Blank lines
 * are skipped; anything else is an error naming the file and line.
 */
export async function* readTrainingTexts(file: string): AsyncGenerator<string> {
  if (!fs.existsSync(file)) throw new TrainingFileError(`${file} does not exist: export the dataset first (it writes train.jsonl).`)
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity })
  let number = 0
  for await (const line of lines) {
    number += 1
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      throw new TrainingFileError(`${file} line ${number} is not valid JSON (${(error as Error).message}); export the dataset again or fix that line.`)
    }
    const record = value as Partial<Record<'prompt' | 'response' | 'text', unknown>>
    if (record && typeof record === 'object' && typeof record.prompt === 'string' && typeof record.response === 'string') {
      yield exampleText({ prompt: record.prompt, response: record.response } as FormattedExample)
    } else if (record && typeof record === 'object' && typeof record.text === 'string') {
      yield record.text
    } else {
      throw new TrainingFileError(`${file} line ${number} needs {"prompt": "...", "response": "..."} or {"text": "..."}; it has ${record && typeof record === 'object' ? `keys ${Object.keys(record).join(', ') || 'none'}` : typeof record}.`)
    }
  }
}

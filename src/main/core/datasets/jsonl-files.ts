import { once } from 'node:events'
import fs from 'node:fs'

/**
 * Appends lines to a file in batches, waiting when the disk falls behind, so memory stays at
 * about one batch whatever the file size.
 */
export class JsonlWriter {
  private readonly stream: fs.WriteStream
  private batch: string[] = []
  private batchChars = 0
  lines = 0

  constructor(readonly filePath: string) {
    this.stream = fs.createWriteStream(filePath, { flags: 'w' })
  }

  /** `line` is one JSON value without the trailing newline. */
  add(line: string): void {
    this.batch.push(line)
    this.batchChars += line.length + 1
    this.lines++
  }

  get pendingChars(): number {
    return this.batchChars
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return
    const text = `${this.batch.join('\n')}\n`
    this.batch = []
    this.batchChars = 0
    if (!this.stream.write(text)) await once(this.stream, 'drain')
  }

  async close(): Promise<void> {
    await this.flush()
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject)
      this.stream.end(() => resolve())
    })
  }

  /** Stops writing after a failure; the caller removes the file. */
  abandon(): void {
    this.stream.destroy()
  }
}

async function writeAll(stream: fs.WriteStream, bytes: Buffer): Promise<void> {
  if (bytes.length > 0 && !stream.write(bytes)) await once(stream, 'drain')
}

async function endStream(stream: fs.WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject)
    stream.end(() => resolve())
  })
}

/**
 * Copies the lines of `source` into `train` or `validation` by line position (0-based), in
 * order, streaming: runs of lines going to the same file are written as one slice.
 */
export async function splitLinesByPosition(
  source: string,
  train: string,
  validation: string,
  isValidation: (position: number) => boolean
): Promise<{ train: number; validation: number }> {
  const outputs = { train: fs.createWriteStream(train), validation: fs.createWriteStream(validation) }
  const counts = { train: 0, validation: 0 }
  let position = 0
  let destination: 'train' | 'validation' = isValidation(0) ? 'validation' : 'train'
  let lineOpen = false
  try {
    for await (const chunk of fs.createReadStream(source, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      let runStart = 0
      let at = chunk.indexOf(10)
      while (at !== -1) {
        counts[destination]++
        position++
        const next: 'train' | 'validation' = isValidation(position) ? 'validation' : 'train'
        if (next !== destination) {
          await writeAll(outputs[destination], chunk.subarray(runStart, at + 1))
          runStart = at + 1
          destination = next
        }
        at = chunk.indexOf(10, at + 1)
      }
      lineOpen = runStart < chunk.length && chunk.lastIndexOf(10) !== chunk.length - 1
      await writeAll(outputs[destination], chunk.subarray(runStart))
    }
    if (lineOpen) counts[destination]++
  } finally {
    await Promise.all([endStream(outputs.train), endStream(outputs.validation)])
  }
  return counts
}

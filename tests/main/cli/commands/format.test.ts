import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatCommand, parseMapFlags } from '../../../../src/main/cli/commands/format'
import type { CliContext } from '../../../../src/main/cli/command'
import type { DatasetSummary } from '../../../../src/shared/dataset/summary'
import { formatChatFields } from '../../../../src/shared/dataset/training-format'
import { cliContext, collectingIo, makeTempHome } from '../../../helpers/temp-home'

const fixtures = fileURLToPath(new URL('../../../fixtures/csv/', import.meta.url))

let dir: string
let cleanup: () => void
let ctx: CliContext
beforeEach(() => {
  ;({ home: dir, cleanup } = makeTempHome())
  ctx = cliContext({ LOCALTUNE_HOME: dir }, fixtures, dir)
})
afterEach(() => cleanup())

function jsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('localtune format', () => {
  it('writes train.jsonl and dataset-summary.json with the given mapping', async () => {
    const out = path.join(dir, 'out')
    const { io, out: printed } = collectingIo()
    const code = await formatCommand.run(['alpaca-small.csv', '--mode', 'chat', '--map', 'prompt=instruction,context=input,response=output', '--out', out], io, ctx)
    expect(code).toBe(0)
    const lines = jsonl(path.join(out, 'train.jsonl'))
    expect(lines).toHaveLength(4)
    expect(lines[0]).toEqual({ ...formatChatFields({ prompt: 'Translate to French', context: 'Good morning', response: 'Bonjour' }), row: 1 })
    expect(lines[2]).toEqual({ ...formatChatFields({ prompt: 'Write a two-line poem', context: '', response: 'Roses are red,\nviolets are blue' }), row: 3 })
    expect(printed.join('\n')).toContain('(4 examples)')
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'dataset-summary.json'), 'utf8')) as DatasetSummary
    expect(summary.split).toMatchObject({ kind: 'none', chosenBy: 'default' })
  })

  it('uses --prompt-start, --valid-percent and --seed', async () => {
    const out = path.join(dir, 'out')
    const { io } = collectingIo()
    const args = ['alpaca-small.csv', '--map', 'prompt=instruction,context=input,response=output', '--prompt-start', 'You translate and write.', '--valid-percent', '25', '--seed', '3', '--out', out, '--json']
    expect(await formatCommand.run(args, io, ctx)).toBe(0)
    const train = jsonl(path.join(out, 'train.jsonl'))
    const valid = jsonl(path.join(out, 'valid.jsonl'))
    expect(train).toHaveLength(3)
    expect(valid).toHaveLength(1)
    expect(String([...train, ...valid][0]?.prompt)).toMatch(/^You translate and write\.\n### Instruction: /)
  })

  it('uses the suggested mapping when --map is left out, and says so', async () => {
    const out = path.join(dir, 'out')
    const { io, err } = collectingIo()
    expect(await formatCommand.run(['alpaca-small.csv', '--out', out], io, ctx)).toBe(0)
    expect(err.join('\n')).toContain('Using the suggested mapping (high confidence): prompt=instruction,context=input,response=output')
    expect(jsonl(path.join(out, 'train.jsonl'))).toHaveLength(4)
  })

  it('stops on rows that cannot train unless --drop-invalid, listing them', async () => {
    const out = path.join(dir, 'out')
    const first = collectingIo()
    expect(await formatCommand.run(['alpaca-invalid-rows.csv', '--out', out], first.io, ctx)).toBe(1)
    expect(first.err.join('\n')).toMatch(/2 rows cannot be used for training.*row 2 \(line 3 of the file\): the prompt cell \(column "instruction"\) is empty.*--drop-invalid/s)
    expect(fs.existsSync(path.join(out, 'train.jsonl'))).toBe(false)
    const second = collectingIo()
    expect(await formatCommand.run(['alpaca-invalid-rows.csv', '--out', out, '--drop-invalid'], second.io, ctx)).toBe(0)
    expect(jsonl(path.join(out, 'train.jsonl')).map((line) => line.row)).toEqual([1])
    expect(second.out.join('\n')).toContain('Rows read 3, trainable 1, dropped 2.')
  })

  it('formats generic mode with --map text=', async () => {
    const source = path.join(dir, 'notes.csv')
    fs.writeFileSync(source, 'id,body\n1,First note\n2,Second note\n')
    const out = path.join(dir, 'out')
    const { io } = collectingIo()
    expect(await formatCommand.run([source, '--mode', 'generic', '--map', 'text=body', '--out', out], io, ctx)).toBe(0)
    expect(jsonl(path.join(out, 'train.jsonl'))).toEqual([
      { text: 'First note', row: 1 },
      { text: 'Second note', row: 2 }
    ])
  })

  it('rejects bad arguments with a message that says what is wrong', async () => {
    const { io } = collectingIo()
    await expect(formatCommand.run(['alpaca-small.csv'], io, ctx)).rejects.toThrow(/--out DIR/)
    await expect(formatCommand.run(['alpaca-small.csv', '--out', dir, '--map', 'answer=output'], io, ctx)).rejects.toThrow(/"answer" is not a role/)
    await expect(formatCommand.run(['alpaca-small.csv', '--out', dir, '--mode', 'chat', '--map', 'prompt=instruction'], io, ctx)).rejects.toThrow(/needs --map prompt=<column>,response=<column>/)
    await expect(formatCommand.run(['alpaca-small.csv', '--out', dir, '--valid-percent', '5', '--valid-file', 'x.csv'], io, ctx)).rejects.toThrow(/either --valid-percent or --valid-file/)
    await expect(formatCommand.run(['alpaca-small.csv', '--out', dir, '--valid-percent=-5'], io, ctx)).rejects.toThrow(/above 0/)
    await expect(formatCommand.run(['alpaca-small.csv', '--out', dir, '--valid-percent', '0', '--seed', '3'], io, ctx)).rejects.toThrow(/with --valid-percent 0 none are/)
  })

  it('--valid-percent 0 writes no validation set, as the app\'s "None" does', async () => {
    const source = path.join(dir, 'many.csv')
    // 300 rows: without the flag the default would hold out 5 %.
    fs.writeFileSync(source, `instruction,output\n${Array.from({ length: 300 }, (_, i) => `Question ${i},Answer ${i}`).join('\n')}\n`)
    const out = path.join(dir, 'out')
    const { io, out: printed } = collectingIo()
    expect(await formatCommand.run([source, '--map', 'prompt=instruction,response=output', '--valid-percent', '0', '--out', out], io, ctx)).toBe(0)
    expect(jsonl(path.join(out, 'train.jsonl'))).toHaveLength(300)
    expect(fs.existsSync(path.join(out, 'valid.jsonl'))).toBe(false)
    expect(printed.join('\n')).toContain('Validation: none')
  })

  it("--chat-template takes a model folder whose template is in chat_template.jinja (transformers 5's layout)", async () => {
    const model = path.join(dir, 'model')
    fs.mkdirSync(model)
    fs.writeFileSync(path.join(model, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '<|endoftext|>', tokenizer_class: 'LlamaTokenizer' }))
    fs.writeFileSync(
      path.join(model, 'chat_template.jinja'),
      "{% for message in messages %}{{'<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}"
    )
    const out = path.join(dir, 'out')
    const { io } = collectingIo()
    expect(await formatCommand.run(['alpaca-small.csv', '--map', 'prompt=instruction,context=input,response=output', '--chat-template', model, '--out', out], io, ctx)).toBe(0)
    const first = jsonl(path.join(out, 'train.jsonl'))[0]
    expect(first?.prompt).toBe('<|user|>\nTranslate to French\n\nGood morning<|end|>\n<|assistant|>\n')
    expect(String(first?.response)).toMatch(/^Bonjour/)
    // The config alone has no template: the message points at the .jinja beside it.
    await expect(formatCommand.run(['alpaca-small.csv', '--map', 'prompt=instruction,response=output', '--chat-template', path.join(model, 'tokenizer_config.json'), '--out', out], io, ctx)).rejects.toThrow(
      `The model keeps its template in ${path.join(model, 'chat_template.jinja')}`
    )
  })

  it('parses --map pairs', () => {
    expect([...parseMapFlags(['prompt=instruction,context=input', 'response=output,prompt_start=system'])]).toEqual([
      ['prompt', 'instruction'],
      ['context', 'input'],
      ['response', 'output'],
      ['promptStart', 'system']
    ])
  })
})

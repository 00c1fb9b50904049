import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ChannelName, ContractHandlers, Envelope, EventPayloadOf, RequestOf, ResponseOf } from '../../../../src/shared/contract'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { datasetsHandlers, draftFolder } from '../../../../src/main/core/datasets/datasets-handlers'
import { EventHub } from '../../../../src/main/core/event-hub'
import { openDatabase, type LocalTuneDatabase } from '../../../../src/main/core/store/database'
import { makeTempHome } from '../../../helpers/temp-home'

const roleplayCsv = path.resolve(__dirname, '..', '..', '..', '..', '..', 'shared', 'data', 'gpteacher-roleplay.csv')

// Every call goes through contract dispatch, so the request and the response schemas are part
// of what is tested, not only the handler.
let home: string
let cleanup: () => void
let db: LocalTuneDatabase
let events: EventHub
let handlers: ContractHandlers
let progress: EventPayloadOf<'datasets.import-progress'>[]

async function call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<Envelope<ResponseOf<C>>> {
  return (await dispatchContractCall(handlers, channel, request)) as Envelope<ResponseOf<C>>
}

async function value<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const envelope = await call(channel, request)
  if (!envelope.ok) throw new Error(`${channel} failed: ${envelope.error.message}\n${envelope.error.details.join('\n')}`)
  return envelope.value
}

function writeCsv(name: string, text: string | Buffer): string {
  const file = path.join(home, 'user-files', name)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}

async function importFile(file: string, hasHeader?: boolean): Promise<string> {
  const imported = await value('datasets.import', { path: file, ...(hasHeader === undefined ? {} : { hasHeader }) })
  if (!imported.datasetId) throw new Error(`not imported: ${imported.inspection.problems.map((p) => p.message).join('; ')}`)
  return imported.datasetId
}

const alpacaMapping = { mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' } as const

beforeEach(() => {
  ;({ home, cleanup } = makeTempHome())
  db = openDatabase(home)
  events = new EventHub()
  progress = []
  events.subscribe((name, payload) => {
    if (name === 'datasets.import-progress') progress.push(payload as EventPayloadOf<'datasets.import-progress'>)
  })
  handlers = datasetsHandlers({ home, db, events }) as ContractHandlers
})

afterEach(() => {
  db.close()
  cleanup()
})

describe('datasets.peek', () => {
  it('reads the first rows and suggests the Alpaca chat mapping without reading the whole file', async () => {
    const preview = await value('datasets.peek', { path: roleplayCsv, count: 5 })
    expect(preview.rows.map((row) => row.row)).toEqual([1, 2, 3, 4, 5])
    expect(preview.endOfFile).toBe(false)
    expect(preview.layout?.columns).toEqual(['instruction', 'input', 'output'])
    expect(preview.suggestion?.mapping).toEqual(alpacaMapping)
    expect(preview.rows[0]?.cells[0]).toMatch(/^Imagine you are a detective/)
  })

  it('names the missing file and what to do', async () => {
    const envelope = await call('datasets.peek', { path: path.join(home, 'nope.csv') })
    expect(envelope).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('nope.csv does not exist') } })
  })
})

describe('datasets.import', () => {
  it('imports the real roleplay file, records it, and reports progress for its import id', async () => {
    const imported = await value('datasets.import', { path: roleplayCsv, importId: 'import-1' })
    expect(imported.datasetId).toMatch(/^[0-9a-f-]{36}$/)
    expect(imported.inspection).toMatchObject({ rowCount: 3146, usable: true, fileName: 'gpteacher-roleplay.csv' })
    expect(imported.inspection.columns.map((column) => column.name)).toEqual(['instruction', 'input', 'output'])
    expect(imported.inspection.columns[0]?.nonEmptyCount).toBe(3146)
    expect(imported.record).toMatchObject({ id: imported.datasetId, rowCount: 3146, mapping: null, hasHeader: true })
    expect(fs.existsSync(path.join(home, 'datasets', imported.datasetId as string, 'row-index.json'))).toBe(true)
    const last = progress.at(-1)
    expect(last).toMatchObject({ importId: 'import-1', path: roleplayCsv, totalBytes: fs.statSync(roleplayCsv).size })
    expect(last?.bytesRead).toBe(last?.totalBytes)
  })

  it('reads the first row as data when told the file has no header', async () => {
    const imported = await value('datasets.import', { path: roleplayCsv, hasHeader: false })
    expect(imported.inspection.rowCount).toBe(3147)
    expect(imported.inspection.layout).toMatchObject({ hasHeader: false, headerSource: 'user', columns: ['column_1', 'column_2', 'column_3'] })
    const rows = await value('datasets.rows', { datasetId: imported.datasetId as string, start: 1, count: 1 })
    expect(rows.rows[0]?.cells).toEqual(['instruction', 'input', 'output'])
  })

  it('refuses a binary file with a problem that says what it is, and stores nothing', async () => {
    // The start of a PNG: a file saved with the wrong extension.
    const file = writeCsv('photo.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 1, 2, 3]))
    const imported = await value('datasets.import', { path: file })
    expect(imported.datasetId).toBeNull()
    expect(imported.record).toBeNull()
    expect(imported.inspection.usable).toBe(false)
    expect(imported.inspection.problems[0]).toMatchObject({ kind: 'binary-file', severity: 'error', message: expect.stringContaining('photo.csv is not a CSV text file') })
    expect(fs.existsSync(path.join(home, 'datasets'))).toBe(false)
  })
})

describe('datasets.rows', () => {
  it('pages anywhere in the file, to the last row', async () => {
    const datasetId = await importFile(roleplayCsv)
    const first = await value('datasets.rows', { datasetId, start: 1, count: 3 })
    const preview = await value('datasets.peek', { path: roleplayCsv, count: 3 })
    expect(first.rows).toEqual(preview.rows)
    const tail = await value('datasets.rows', { datasetId, start: 3100, count: 100 })
    expect(tail.rows.map((row) => row.row)).toEqual(Array.from({ length: 47 }, (_, i) => 3100 + i))
  })

  it('says the file changed instead of showing rows from another file', async () => {
    const file = writeCsv('notes.csv', 'prompt,response\nhi,hello\nbye,see you\n')
    const datasetId = await importFile(file)
    fs.appendFileSync(file, 'more,rows\n')
    const envelope = await call('datasets.rows', { datasetId, start: 1, count: 2 })
    expect(envelope).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringContaining('Import the file again') } })
  })

  it('names an unknown dataset and rejects a bad page request by field', async () => {
    expect(await call('datasets.rows', { datasetId: 'no-such-dataset', start: 1, count: 5 })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    const bad = await call('datasets.rows', { datasetId: 'x', start: 0, count: 5 })
    expect(bad.ok ? [] : bad.error.details).toEqual([expect.stringMatching(/^start: Rows are numbered from 1/)])
  })
})

describe('datasets.get', () => {
  it('returns the record and inspection, and notices when the file changed since', async () => {
    const file = writeCsv('notes.csv', 'prompt,response\nhi,hello\n')
    const datasetId = await importFile(file)
    const before = await value('datasets.get', { datasetId })
    expect(before.record.fileName).toBe('notes.csv')
    expect(before.inspection.rowCount).toBe(1)
    expect(before.sourceChange.status).toBe('unchanged')
    fs.writeFileSync(file, 'prompt,response\nhi,hello there\n')
    const after = await value('datasets.get', { datasetId })
    expect(after.sourceChange).toMatchObject({ status: 'changed', reason: 'size' })
  })
})

describe('datasets.validate', () => {
  const csv = ['instruction,input,output', 'Say hi,,Hi!', 'Translate,bonjour,hello', ',,orphan answer', 'Ask,,', 'Count,,one two'].join('\n')

  it('counts the rows that cannot train, with row numbers and reasons', async () => {
    const datasetId = await importFile(writeCsv('small.csv', csv))
    const { validation, record } = await value('datasets.validate', { datasetId, mapping: alpacaMapping })
    expect(validation).toMatchObject({ rowCount: 5, trainableCount: 3, invalid: { count: 2, byReason: { 'empty-prompt': 1, 'empty-response': 1 } } })
    expect(validation.invalid.rows.map((row) => [row.row, row.line, row.reason])).toEqual([
      [3, 4, 'empty-prompt'],
      [4, 5, 'empty-response']
    ])
    expect(validation.invalid.rows[0]?.message).toContain('column "instruction"')
    expect(validation.defaultSplit).toEqual({ kind: 'none' })
    expect(record.mapping).toBeNull()
  })

  it('remembers a confirmed mapping with the counts it found', async () => {
    const datasetId = await importFile(writeCsv('small.csv', csv))
    const { record } = await value('datasets.validate', { datasetId, mapping: alpacaMapping, saveMapping: true })
    expect(record).toMatchObject({ mode: 'chat', mapping: alpacaMapping, counts: { rows: 5, trainable: 3, invalid: 2 } })
    const again = await value('datasets.get', { datasetId })
    expect(again.record.mapping).toEqual(alpacaMapping)
  })

  it('names the role and the column when the mapping does not fit the file', async () => {
    const datasetId = await importFile(writeCsv('small.csv', csv))
    const envelope = await call('datasets.validate', { datasetId, mapping: { mode: 'chat', prompt: 'question', response: 'output' } })
    expect(envelope).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    expect(envelope.ok ? [] : envelope.error.details).toContain('prompt: there is no column "question"')
  })
})

describe('datasets.export', () => {
  it('writes the draft training files through the shared formatter', async () => {
    const datasetId = await importFile(roleplayCsv)
    const exported = await value('datasets.export', { datasetId, mapping: alpacaMapping })
    expect(exported.outDir).toBe(draftFolder(home, datasetId))
    expect(exported.summary.rows).toMatchObject({ read: 3146, trainable: 3146, dropped: 0 })
    expect(exported.summary.split).toMatchObject({ kind: 'percent', chosenBy: 'default', percent: 5 })
    const trainLines = fs.readFileSync(exported.trainPath, 'utf8').trim().split('\n')
    const validLines = fs.readFileSync(exported.validationPath as string, 'utf8').trim().split('\n')
    expect(trainLines.length + validLines.length).toBe(3146)
    expect(exported.summary.rows.validation).toBe(validLines.length)
    const first = JSON.parse(trainLines[0] as string) as { prompt: string; response: string; row: number }
    expect(first.prompt.startsWith('Below is an instruction that describes a task. Write a response that appropriately completes the request.\n### Instruction: Imagine')).toBe(true)
    expect(first.prompt.endsWith('### Response:')).toBe(true)
    expect(first.response.startsWith(' ')).toBe(true)
    expect(fs.existsSync(exported.summaryPath)).toBe(true)
  })

  it('writes nothing while rows cannot train, and leaves them out when the user agrees', async () => {
    const datasetId = await importFile(writeCsv('small.csv', 'prompt,response\nhi,hello\n,lost\nbye,see you\n'))
    const mapping = { mode: 'chat', prompt: 'prompt', response: 'response' } as const
    const refused = await call('datasets.export', { datasetId, mapping, split: { kind: 'none' } })
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('1 row cannot be used for training') } })
    expect(refused.ok ? [] : refused.error.details[0]).toContain('row 2 (line 3 of the file)')
    expect(fs.existsSync(path.join(draftFolder(home, datasetId), 'train.jsonl'))).toBe(false)

    const outDir = path.join(home, 'projects', 'p1', 'data')
    const exported = await value('datasets.export', { datasetId, mapping, split: { kind: 'none' }, dropInvalidRows: true, outDir })
    expect(exported).toMatchObject({ outDir, validationPath: null, summary: { rows: { trainable: 2, dropped: 1, train: 2 } } })
    expect(fs.readFileSync(path.join(outDir, 'train.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2)
  })

  it('uses a second CSV as the validation set', async () => {
    const datasetId = await importFile(writeCsv('train.csv', 'prompt,response\nhi,hello\nbye,see you\n'))
    const validation = writeCsv('valid.csv', 'prompt,response\nhey,hello again\n')
    const exported = await value('datasets.export', { datasetId, mapping: { mode: 'chat', prompt: 'prompt', response: 'response' }, split: { kind: 'file', path: validation } })
    expect(exported.summary.split).toMatchObject({ kind: 'file', path: validation, rowCount: 1 })
    expect(fs.readFileSync(exported.validationPath as string, 'utf8')).toContain('hello again')
  })
})

describe('datasets.chat-template', () => {
  it("reads the model's own template with its special tokens", async () => {
    const modelPath = path.join(home, 'models', 'tiny-chat')
    fs.mkdirSync(modelPath, { recursive: true })
    const template = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{{ eos_token }}{% endfor %}"
    fs.writeFileSync(path.join(modelPath, 'tokenizer_config.json'), JSON.stringify({ chat_template: template, eos_token: '</s>', bos_token: { content: '<s>' } }))
    const answer = await value('datasets.chat-template', { modelPath })
    expect(answer).toEqual({ spec: { template, bosToken: '<s>', eosToken: '</s>' }, sourceFile: path.join(modelPath, 'tokenizer_config.json') })
  })

  it('says when the model folder has no chat template anywhere transformers would look', async () => {
    const envelope = await call('datasets.chat-template', { modelPath: path.join(home, 'models', 'none') })
    expect(envelope).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('has no chat template (LocalTune looked for chat_template.jinja, "chat_template" in tokenizer_config.json, and chat_template.json)') } })
  })

  it("reads chat_template.jinja, as transformers 5's save_pretrained writes it, with the tokens from tokenizer_config.json", async () => {
    const modelPath = path.join(home, 'models', 'v5-layout')
    fs.mkdirSync(modelPath, { recursive: true })
    const template = "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}<|end|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
    fs.writeFileSync(path.join(modelPath, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '<|endoftext|>', pad_token: '<|endoftext|>' }))
    fs.writeFileSync(path.join(modelPath, 'chat_template.jinja'), template)
    const answer = await value('datasets.chat-template', { modelPath })
    expect(answer).toEqual({ spec: { template, bosToken: '<s>', eosToken: '<|endoftext|>', extraVariables: { pad_token: '<|endoftext|>' } }, sourceFile: path.join(modelPath, 'chat_template.jinja') })
  })
})

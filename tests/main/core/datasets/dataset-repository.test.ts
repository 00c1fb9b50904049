import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { datasetFolder, importDataset, loadInspection, openDatasetIndex, removeDataset } from '../../../../src/main/core/datasets/dataset-import'
import { createDatasetRepository } from '../../../../src/main/core/datasets/dataset-repository'
import { findChangedSource } from '../../../../src/main/core/datasets/source-change'
import { readRows } from '../../../../src/main/core/datasets/dataset-index'
import { openDatabase, type LocalTuneDatabase } from '../../../../src/main/core/store/database'

let home: string
let db: LocalTuneDatabase
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'))
  db = openDatabase(home)
})
afterEach(() => {
  db.close()
  fs.rmSync(home, { recursive: true, force: true })
})

function csv(name: string, content: string): string {
  const target = path.join(home, name)
  fs.writeFileSync(target, content)
  return target
}

describe('importDataset and the datasets table', () => {
  it('stores the record, the row index and the inspection, and reads rows back', async () => {
    const repository = createDatasetRepository(db)
    const source = csv('data.csv', 'instruction,input,output\nQ1,,A1\nQ2,ctx,A2\n')
    const imported = await importDataset(home, repository, source)
    const record = imported.record
    if (!record) throw new Error('expected a record')
    expect(record).toMatchObject({
      sourcePath: source,
      fileName: 'data.csv',
      sizeBytes: fs.statSync(source).size,
      encoding: 'utf-8',
      delimiter: ',',
      hasHeader: true,
      rowCount: 2,
      mode: null,
      mapping: null,
      counts: { rows: 2, blankLines: 0, parseIssueRows: 0, problems: {} }
    })
    expect(record.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(record.columns.map((column) => column.name)).toEqual(['instruction', 'input', 'output'])
    expect(repository.get(record.id)).toEqual(record)
    expect(repository.list().map((entry) => entry.id)).toEqual([record.id])
    expect(repository.findBySourcePath(source)).toHaveLength(1)
    const index = await openDatasetIndex(home, record.id)
    expect((await readRows(index, 2, 1))[0]?.cells).toEqual(['Q2', 'ctx', 'A2'])
    expect((await loadInspection(home, record.id)).rowCount).toBe(2)
  })

  it('stores the confirmed mapping with its counts, and refuses columns the dataset lacks', async () => {
    const repository = createDatasetRepository(db)
    const { record } = await importDataset(home, repository, csv('data.csv', 'q,a\n1,2\n'))
    if (!record) throw new Error('expected a record')
    const saved = repository.saveMapping(record.id, { mode: 'chat', prompt: 'q', response: 'a' }, { rows: 1, blankLines: 0, parseIssueRows: 0, problems: {}, trainable: 1, invalid: 0 })
    expect(saved).toMatchObject({ mode: 'chat', mapping: { mode: 'chat', prompt: 'q', response: 'a' }, counts: { trainable: 1 } })
    expect(() => repository.saveMapping(record.id, { mode: 'generic', text: 'nope' })).toThrow(/no column "nope"/)
  })

  it('stores nothing for a file that cannot be used', async () => {
    const repository = createDatasetRepository(db)
    const imported = await importDataset(home, repository, csv('empty.csv', ''))
    expect(imported.record).toBeNull()
    expect(imported.inspection.problems[0]?.kind).toBe('empty-file')
    expect(repository.list()).toEqual([])
  })

  it('forgets a dataset without touching the CSV', async () => {
    const repository = createDatasetRepository(db)
    const source = csv('data.csv', 'q,a\n1,2\n')
    const { record } = await importDataset(home, repository, source)
    if (!record) throw new Error('expected a record')
    expect(await removeDataset(home, repository, record.id)).toBe(true)
    expect(repository.get(record.id)).toBeNull()
    expect(fs.existsSync(datasetFolder(home, record.id))).toBe(false)
    expect(fs.readFileSync(source, 'utf8')).toBe('q,a\n1,2\n')
  })
})

describe('findChangedSource', () => {
  async function imported(content: string) {
    const source = csv('data.csv', content)
    const { record } = await importDataset(home, createDatasetRepository(db), source)
    if (!record) throw new Error('expected a record')
    return { source, record }
  }

  it('says unchanged from size and time alone', async () => {
    const { record } = await imported('q,a\n1,2\n')
    expect(await findChangedSource(record)).toEqual({ status: 'unchanged', checkedBy: 'size-and-time' })
  })

  it('checks the hash when only the time changed', async () => {
    const { source, record } = await imported('q,a\n1,2\n')
    fs.utimesSync(source, new Date(), new Date(Date.now() + 5000))
    expect(await findChangedSource(record)).toEqual({ status: 'unchanged', checkedBy: 'hash' })
    fs.writeFileSync(source, 'q,a\n1,3\n')
    fs.utimesSync(source, new Date(), new Date(Date.now() + 10_000))
    expect(await findChangedSource(record)).toMatchObject({ status: 'changed', reason: 'content' })
  })

  it('sees a new size or a missing file at once', async () => {
    const { source, record } = await imported('q,a\n1,2\n')
    fs.appendFileSync(source, '3,4\n')
    expect(await findChangedSource(record)).toMatchObject({ status: 'changed', reason: 'size' })
    fs.rmSync(source)
    const missing = await findChangedSource(record)
    expect(missing).toMatchObject({ status: 'changed', reason: 'missing' })
    expect(missing.status === 'changed' && missing.message).toMatch(/no longer there/)
  })
})

import Database from 'better-sqlite3'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { databaseStatus, migrate, openDatabase, recordIndexRepair } from '../../../../src/main/core/store/database'
import { migrations } from '../../../../src/main/core/store/migrations'
import { makeTempHome } from '../../../helpers/temp-home'

describe('openDatabase', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  it('creates <home>/localtune.db in WAL mode at the latest schema', () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const db = openDatabase(temp.home)
    const status = databaseStatus(db)
    expect(status.path).toBe(path.join(temp.home, 'localtune.db'))
    expect(status.journalMode).toBe('wal')
    expect(status.schemaVersion).toBe(migrations.at(-1)?.version)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['checkpoints', 'datasets', 'metrics', 'projects', 'runs']))
    db.close()
  })

  it('keeps data across reopen and does not re-run applied migrations', () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const first = openDatabase(temp.home)
    first.prepare("INSERT INTO runs (id, status, run_dir, created_at) VALUES ('r1', 'completed', '/x', '2026-01-01')").run()
    first.close()
    const second = openDatabase(temp.home)
    expect(second.prepare('SELECT status FROM runs WHERE id = ?').get('r1')).toEqual({ status: 'completed' })
    second.close()
  })

  it('rolls back a failing migration and leaves the previous version', () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const db = new Database(path.join(temp.home, 'broken.db'))
    migrate(db, migrations)
    const broken = [...migrations, { version: 99, name: 'broken', sql: 'CREATE TABLE ok_table (x); THIS IS NOT SQL;' }]
    expect(() => migrate(db, broken)).toThrow()
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)?.version)
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok_table'").get()).toBeUndefined()
    db.close()
  })

  it('refuses a database from a newer LocalTune', () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const db = new Database(path.join(temp.home, 'localtune.db'))
    db.pragma('user_version = 999')
    db.close()
    expect(() => openDatabase(temp.home)).toThrow(/newer LocalTune/)
  })
})

/** Starts `count` workers that open the same new home at one moment (a shared barrier). */
async function openAtOnce(home: string, count: number): Promise<Array<{ ok: boolean; version?: number; message?: string }>> {
  const barrier = new SharedArrayBuffer(8)
  const gate = new Int32Array(barrier)
  const require = createRequire(import.meta.url)
  const entry = fileURLToPath(new URL('./open-database-worker.ts', import.meta.url))
  // Workers do not get vitest's TypeScript loader: register tsx's require hook, then load the entry.
  const bootstrap = "const { workerData } = require('node:worker_threads'); require(workerData.hook); require(workerData.entry);"
  const workers = Array.from({ length: count }, () => new Worker(bootstrap, { eval: true, workerData: { home, barrier, hook: require.resolve('tsx/cjs'), entry } }))
  const results = workers.map(
    (worker) =>
      new Promise<{ ok: boolean; version?: number; message?: string }>((resolve) => {
        worker.once('message', resolve)
        worker.once('error', (error) => resolve({ ok: false, message: error.message }))
      })
  )
  const deadline = Date.now() + 30_000
  while (Atomics.load(gate, 1) < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  Atomics.store(gate, 0, 1)
  Atomics.notify(gate, 0)
  const answers = await Promise.all(results)
  await Promise.all(workers.map((worker) => worker.terminate()))
  return answers
}

describe('many LocalTune processes starting on one new home', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  it('all open it: the migrations run once, in one immediate transaction ("table datasets already exists" before)', async () => {
    const homes: string[] = []
    cleanup = () => homes.forEach((home) => fs.rmSync(home, { recursive: true, force: true }))
    const failures: string[] = []
    // Several rounds of 8: the race needed only 16 starts to show up 4 times.
    for (let round = 0; round < 4; round++) {
      const temp = makeTempHome()
      homes.push(temp.home)
      const answers = await openAtOnce(temp.home, 8)
      for (const answer of answers) {
        if (!answer.ok) failures.push(answer.message ?? 'failed')
        else expect(answer.version).toBe(migrations.at(-1)?.version)
      }
    }
    expect(failures).toEqual([])
  }, 120_000)
})

describe('the WAL and the truth about the index', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  it('checkpoints the WAL on a timer, so the database file alone holds recent rows (as if the -wal file were deleted)', async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const db = openDatabase(temp.home, migrations, { checkpointIntervalMs: 50 })
    db.prepare("INSERT INTO runs (id, status, run_dir, created_at) VALUES ('r1', 'completed', '/x', '2026-01-01')").run()
    await new Promise((resolve) => setTimeout(resolve, 400))
    // Copy only localtune.db, which is what is left when the WAL is gone.
    const copy = path.join(temp.home, 'copy')
    fs.mkdirSync(copy)
    fs.copyFileSync(path.join(temp.home, 'localtune.db'), path.join(copy, 'localtune.db'))
    db.close()
    const reopened = new Database(path.join(copy, 'localtune.db'), { readonly: true })
    expect(reopened.prepare('SELECT id FROM runs').all()).toEqual([{ id: 'r1' }])
    reopened.close()
  })

  it('says which run folders the index lacks, and what was repaired', () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const db = openDatabase(temp.home)
    for (const id of ['20260101-000000-aaaa', '20260101-000001-bbbb']) {
      fs.mkdirSync(path.join(temp.home, 'runs', id), { recursive: true })
      fs.writeFileSync(path.join(temp.home, 'runs', id, 'run.json'), '{}')
    }
    db.prepare("INSERT INTO runs (id, status, run_dir, created_at) VALUES ('20260101-000000-aaaa', 'completed', '/x', '2026-01-01')").run()
    const status = databaseStatus(db)
    expect(status).toMatchObject({ integrity: 'ok', runFolders: 2, indexedRuns: 1 })
    expect(status.problems.join(' ')).toContain('20260101-000001-bbbb')
    expect(status.problems.join(' ')).toContain('1 of 2 run folders')
    recordIndexRepair(db, 'Read 1 run back')
    expect(databaseStatus(db).repairs).toEqual(['Read 1 run back'])
    db.close()
  })
})

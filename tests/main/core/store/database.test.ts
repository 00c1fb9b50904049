import Database from 'better-sqlite3'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { databaseStatus, migrate, openDatabase } from '../../../../src/main/core/store/database'
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

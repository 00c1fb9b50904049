import Database from 'better-sqlite3'
import path from 'node:path'
import fs from 'node:fs'
import { migrations as defaultMigrations, type Migration } from './migrations'

export type LocalTuneDatabase = Database.Database

export interface DatabaseStatus {
  path: string
  schemaVersion: number
  latestVersion: number
  journalMode: string
}

/**
 * Opens `<home>/localtune.db` with WAL (readers never block the run ingester) and brings the
 * schema up to date. A database from a newer LocalTune is refused rather than guessed at.
 */
export function openDatabase(home: string, migrations: readonly Migration[] = defaultMigrations): LocalTuneDatabase {
  fs.mkdirSync(home, { recursive: true })
  const file = path.join(home, 'localtune.db')
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db, migrations)
  return db
}

export function migrate(db: LocalTuneDatabase, migrations: readonly Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0)
  if (current > latest) {
    throw new Error(
      `The database ${db.name} was written by a newer LocalTune (schema ${current}, this one knows ${latest}). ` +
        'Update LocalTune, or point LOCALTUNE_HOME at another folder.'
    )
  }
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue
    db.transaction(() => {
      db.exec(migration.sql)
      db.pragma(`user_version = ${migration.version}`)
    })()
  }
}

export function databaseStatus(db: LocalTuneDatabase, migrations: readonly Migration[] = defaultMigrations): DatabaseStatus {
  return {
    path: db.name,
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
    latestVersion: migrations.reduce((max, m) => Math.max(max, m.version), 0),
    journalMode: String(db.pragma('journal_mode', { simple: true }))
  }
}

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
  /** `PRAGMA quick_check`: "ok", or the first damage SQLite found. */
  integrity: string
  /** Run folders under <home>/runs (each has a run.json): the source of truth the index mirrors. */
  runFolders: number
  /** Rows in the runs table. */
  indexedRuns: number
  /** What is wrong now, each with where (e.g. run folders the index does not list). Empty when fine. */
  problems: string[]
  /** What was repaired at this start (runs read back from their folders), for the doctor to tell. */
  repairs: string[]
}

export interface OpenDatabaseOptions {
  checkpointIntervalMs?: number
  /**
   * The better-sqlite3 binary to load instead of the one in node_modules: the Electron host's
   * build for Electron's ABI (electron-native-modules.ts), so the CLI's build stays as it is.
   */
  nativeBinding?: string
}

/** The binding path, or an error that says which file is missing and how to make it. */
function loadableBinding(file: string): string {
  if (!fs.existsSync(file)) {
    throw new Error(`The SQLite module for this app (${file}) is missing. Start LocalTune with \`localtune start\` (npm start), which makes it.`)
  }
  return file
}

/** How often the WAL is copied into the database file while LocalTune runs. */
export const walCheckpointIntervalMs = 10_000

/**
 * Opens `<home>/localtune.db` with WAL (readers never block the run ingester) and brings the
 * schema up to date. A database from a newer LocalTune is refused rather than guessed at.
 *
 * The WAL is checkpointed on a timer: after a kill -9 everything not yet checkpointed lives only
 * in `localtune.db-wal`, and a person who deletes that file (it looks like a temp file) would
 * lose it. Whatever is still lost that way is read back from the run folders by the run index
 * rebuild (runs/run-index-rebuild.ts).
 */
export function openDatabase(home: string, migrations: readonly Migration[] = defaultMigrations, options: OpenDatabaseOptions = {}): LocalTuneDatabase {
  fs.mkdirSync(home, { recursive: true })
  const file = path.join(home, 'localtune.db')
  const db = new Database(file, options.nativeBinding ? { nativeBinding: loadableBinding(options.nativeBinding) } : {})
  // First: two LocalTune processes opening a new home wait for each other's lock instead of
  // failing on it (switching to WAL and migrating both take it).
  db.pragma('busy_timeout = 5000')
  db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  migrate(db, migrations)
  checkpointWal(db)
  const interval = options.checkpointIntervalMs ?? walCheckpointIntervalMs
  const timer = setInterval(() => {
    if (!db.open) clearInterval(timer)
    else checkpointWal(db)
  }, interval)
  timer.unref()
  return db
}

/** Copies what the WAL holds into the database file, without waiting for readers (PASSIVE). */
export function checkpointWal(db: LocalTuneDatabase): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch {
    // Busy or closing: the next tick (or SQLite's own auto-checkpoint) does it.
  }
}

/**
 * Brings the schema to the newest migration. The version is read and every pending migration
 * applied inside one IMMEDIATE transaction: two processes starting on a new home used to both
 * read version 0 and both create the tables ("table datasets already exists"). The write lock
 * taken at BEGIN makes the second wait, then read the version the first one left. A failing
 * migration rolls the whole step back, leaving the version the database had.
 */
export function migrate(db: LocalTuneDatabase, migrations: readonly Migration[]): void {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0)
  const readVersion = () => db.pragma('user_version', { simple: true }) as number
  const refuseNewer = (current: number) => {
    if (current > latest) {
      throw new Error(
        `The database ${db.name} was written by a newer LocalTune (schema ${current}, this one knows ${latest}). ` +
          'Update LocalTune, or point LOCALTUNE_HOME at another folder.'
      )
    }
  }
  // Up to date: no need for the write lock (the version only ever grows).
  const seen = readVersion()
  refuseNewer(seen)
  if (seen === latest) return
  db.transaction(() => {
    const current = readVersion()
    refuseNewer(current)
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= current) continue
      db.exec(migration.sql)
      db.pragma(`user_version = ${migration.version}`)
    }
  }).immediate()
}

// Repairs made by this process, per database: the doctor reports them.
const repairsByDatabase = new WeakMap<LocalTuneDatabase, string[]>()

/** Records a repair of the index (e.g. runs read back from their folders) for databaseStatus. */
export function recordIndexRepair(db: LocalTuneDatabase, note: string): void {
  const notes = repairsByDatabase.get(db) ?? []
  notes.push(note)
  repairsByDatabase.set(db, notes)
}

/** Run folders under <home>/runs: folders that hold a run.json. */
function runFolderIds(home: string): string[] {
  const root = path.join(home, 'runs')
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(root, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.filter((entry) => entry.isDirectory() && fs.existsSync(path.join(root, entry.name, 'run.json'))).map((entry) => entry.name)
}

/**
 * The database as it is, compared with what it indexes: the run folders next to it. "Fine"
 * means the schema is current, SQLite finds no damage, and every run folder has its row.
 */
export function databaseStatus(db: LocalTuneDatabase, migrations: readonly Migration[] = defaultMigrations): DatabaseStatus {
  const home = path.dirname(db.name)
  const schemaVersion = db.pragma('user_version', { simple: true }) as number
  const latestVersion = migrations.reduce((max, m) => Math.max(max, m.version), 0)
  const problems: string[] = []
  let integrity: string
  try {
    const rows = db.pragma('quick_check') as Array<{ quick_check: string }>
    integrity = rows.map((row) => row.quick_check).join('; ')
  } catch (error) {
    integrity = (error as Error).message
  }
  if (integrity !== 'ok') problems.push(`SQLite reports damage in ${db.name}: ${integrity}`)
  const folders = runFolderIds(home)
  let indexed = new Set<string>()
  try {
    indexed = new Set((db.prepare('SELECT id FROM runs').all() as Array<{ id: string }>).map((row) => row.id))
  } catch (error) {
    problems.push(`The runs table cannot be read: ${(error as Error).message}`)
  }
  const missing = folders.filter((id) => !indexed.has(id))
  if (missing.length > 0) {
    problems.push(
      `${missing.length} of ${folders.length} run folders in ${path.join(home, 'runs')} are not in the database (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}); ` +
        'restart LocalTune to read them back from their events.jsonl'
    )
  }
  return {
    path: db.name,
    schemaVersion,
    latestVersion,
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    integrity,
    runFolders: folders.length,
    indexedRuns: indexed.size,
    problems,
    repairs: [...(repairsByDatabase.get(db) ?? [])]
  }
}

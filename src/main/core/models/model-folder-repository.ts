import type { LocalTuneDatabase } from '../store/database'

/** The model folders the user added, oldest first, so the list keeps the order they were added in. */
export function createModelFolderRepository(db: LocalTuneDatabase) {
  const list = db.prepare('SELECT path FROM model_folders ORDER BY added_at, path')
  const insert = db.prepare('INSERT OR IGNORE INTO model_folders (path, added_at) VALUES (?, ?)')
  const remove = db.prepare('DELETE FROM model_folders WHERE path = ?')
  return {
    list: (): string[] => (list.all() as Array<{ path: string }>).map((row) => row.path),
    add: (folder: string): void => {
      insert.run(folder, new Date().toISOString())
    },
    /** Whether the folder was remembered. */
    remove: (folder: string): boolean => remove.run(folder).changes > 0
  }
}

import os from 'node:os'
import path from 'node:path'
import fs from 'node:fs'

/**
 * The folder where LocalTune keeps everything it makes: the database, run folders, uploads.
 * `LOCALTUNE_HOME` wins so tests and power users can point it anywhere; otherwise the OS's
 * per-user application-data folder, so nothing lands in the user's working directory.
 */
export function resolveHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env.LOCALTUNE_HOME?.trim()
  if (override) return path.resolve(override)
  const homedir = env.HOME || os.homedir()
  if (platform === 'win32') return path.join(env.APPDATA || path.join(homedir, 'AppData', 'Roaming'), 'LocalTune')
  if (platform === 'darwin') return path.join(homedir, 'Library', 'Application Support', 'LocalTune')
  return path.join(env.XDG_DATA_HOME || path.join(homedir, '.local', 'share'), 'localtune')
}

export function ensureHome(home: string): string {
  fs.mkdirSync(home, { recursive: true })
  return home
}

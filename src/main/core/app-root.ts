import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The installed app's root folder (the one with package.json and python-runtime/). Found by
 * walking up from this module, because the same code runs from src/ (tests, tsx) and from out/
 * (the built app), at different depths.
 */
export function findAppRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from
  for (;;) {
    const manifest = path.join(dir, 'package.json')
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'localtune') return dir
      } catch {
        // an unreadable manifest is not ours; keep walking
      }
    }
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`LocalTune's install folder was not found above ${from}: package.json named "localtune" is missing.`)
    dir = parent
  }
}

export function pythonRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOCALTUNE_RUNTIME_DIR ? path.resolve(env.LOCALTUNE_RUNTIME_DIR) : path.join(findAppRoot(), 'python-runtime')
}

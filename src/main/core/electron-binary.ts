import fs from 'node:fs'
import path from 'node:path'

export interface ElectronBinaryStatus {
  version: string | null
  binaryPresent: boolean
  executable: string | null
}

/**
 * Whether the Electron binary is on disk. Electron 42+ installs its npm package without the
 * binary and fetches it on first run, which fails offline; the start script and doctor need to
 * know without launching anything.
 */
export function electronBinaryStatus(appRoot: string): ElectronBinaryStatus {
  const packageDir = path.join(appRoot, 'node_modules', 'electron')
  let version: string | null = null
  try {
    version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version ?? null
  } catch {
    return { version: null, binaryPresent: false, executable: null }
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  let executable: string | null = null
  try {
    const relative = fs.readFileSync(path.join(packageDir, 'path.txt'), 'utf8').trim()
    executable = override ? path.join(override, relative) : path.join(packageDir, 'dist', relative)
  } catch {
    executable = null
  }
  const binaryPresent = executable !== null && fs.existsSync(executable)
  return { version, binaryPresent, executable: binaryPresent ? executable : null }
}

import fs from 'node:fs'
import path from 'node:path'

/**
 * The app's view of `<venv>/localtune-runtime.lock.json`, the file `localtune setup-runtime` writes
 * after installing (python-runtime/localtune_runtime/runtime_lock.py defines and writes it; this
 * side only reads it, for `doctor`).
 */
export const RUNTIME_LOCK_NAME = 'localtune-runtime.lock.json'

export interface RuntimeLock {
  path: string
  flavour: 'cpu' | 'cuda'
  createdAt: string
  python: string
  /** Canonical package name to the exact installed version. */
  packages: Record<string, string>
}

export type RuntimeLockReading = { lock: RuntimeLock; problem: null } | { lock: null; problem: string | null }

/**
 * Where the lock of the venv a Python belongs to lives: the venv's root, two levels above
 * `bin/python` (`Scripts\python.exe` on Windows), which is that Python's sys.prefix.
 */
export function runtimeLockPath(pythonExecutable: string): string {
  return path.join(path.dirname(path.dirname(pythonExecutable)), RUNTIME_LOCK_NAME)
}

/** The lock at `file`: null without a problem when there is none, a problem when it is unusable. */
export function readRuntimeLock(file: string): RuntimeLockReading {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lock: null, problem: null }
    return { lock: null, problem: `${file} cannot be read: ${(error as Error).message}` }
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    return { lock: null, problem: `${file} is not valid JSON: ${(error as Error).message}` }
  }
  const lock = raw as { lock_version?: unknown; flavour?: unknown; created_at?: unknown; python?: unknown; packages?: unknown }
  const packages = lock.packages
  const packagesOk = typeof packages === 'object' && packages !== null && Object.values(packages).every((v) => typeof v === 'string')
  if (lock.lock_version !== 1 || (lock.flavour !== 'cpu' && lock.flavour !== 'cuda') || !packagesOk) {
    return { lock: null, problem: `${file} is not a version 1 LocalTune runtime lock` }
  }
  return {
    lock: {
      path: file,
      flavour: lock.flavour,
      createdAt: typeof lock.created_at === 'string' ? lock.created_at : 'unknown',
      python: typeof lock.python === 'string' ? lock.python : 'unknown',
      packages: packages as Record<string, string>
    },
    problem: null
  }
}

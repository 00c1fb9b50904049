import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** A fresh LOCALTUNE_HOME for one test; removed afterwards by the returned cleanup. */
export function makeTempHome(): { home: string; cleanup(): void } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-home-'))
  return { home, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) }
}

/** A CLI io that records everything a user would see. */
export function collectingIo(): { out: string[]; err: string[]; io: { out(text: string): void; err(text: string): void; isTty: boolean } } {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (text) => out.push(text), err: (text) => err.push(text), isTty: false } }
}

/** What a CLI command gets from the launcher, for a test: Ctrl+C is never pressed. */
export function cliContext(env: NodeJS.ProcessEnv, cwd: string, home: string): { env: NodeJS.ProcessEnv; cwd: string; home: string; interrupted: Promise<void> } {
  return { env, cwd, home, interrupted: new Promise<void>(() => {}) }
}

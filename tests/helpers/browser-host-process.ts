// A browser host in its own process, for tests that must watch it from outside: one that blocks
// its event loop or eats memory cannot report on itself. Prints {"origin", "token", "pid"} as one
// JSON line once it listens. Run it with `node --import tsx tests/helpers/browser-host-process.ts`
// with LOCALTUNE_HOME set; LOCALTUNE_MODEL_FOLDERS (path-separated) are remembered as model folders.
import fs from 'node:fs'
import path from 'node:path'
import { startBrowserHost } from '../../src/main/browser-host/server'
import { createCore } from '../../src/main/core/create-core'

const core = createCore({ env: process.env, runs: { warn: () => {} } })
for (const folder of (process.env.LOCALTUNE_MODEL_FOLDERS ?? '').split(path.delimiter).filter(Boolean)) {
  core.db.prepare('INSERT OR IGNORE INTO model_folders (path, added_at) VALUES (?, ?)').run(folder, new Date().toISOString())
}
const rendererDir = path.join(core.home, 'renderer')
fs.mkdirSync(rendererDir, { recursive: true })
fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>LocalTune</title>')
const host = await startBrowserHost({ core, rendererDir, warn: () => {} })
process.stdout.write(`${JSON.stringify({ origin: host.origin, token: host.token, pid: process.pid })}\n`)

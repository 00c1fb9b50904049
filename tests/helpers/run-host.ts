// A stand-in for the LocalTune app in crash tests: opens a core over LOCALTUNE_HOME, starts a
// long quick run, prints {"runId", "runDir"} as one JSON line, and keeps running until killed.
// Run it with `node --import tsx tests/helpers/run-host.ts`.
import { createCore } from '../../src/main/core/create-core'
import { startQuickRun } from './training-home'

const core = createCore({ env: process.env, runs: { warn: () => {} } })
const run = await startQuickRun(core, { maxSteps: 5000 })
process.stdout.write(`${JSON.stringify({ runId: run.id, runDir: run.runDir })}\n`)
setInterval(() => {}, 60_000)

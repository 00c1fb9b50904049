/**
 * `npx tsx scripts/bench/run-events.ts [--steps N] [--poll-only]`: how long a training event
 * takes from the runtime writing it to the UI push.
 *
 * Trains the tiny demo model for real (node-pty, the Python runtime) in a temp LOCALTUNE_HOME and
 * subscribes to the core's events like a host does. For each `run.event` push, the latency is
 * now minus the event's own `time` (the runtime stamps it just before appending the line), so it
 * covers: the write, fs.watch (or the poll), reading the new bytes, schema validation, the
 * SQLite transaction, and the publish. `--poll-only` measures the fallback path (fs.watch
 * unavailable) by stopping the watcher and relying on the 1 s poll.
 *
 * Needs the training runtime: LOCALTUNE_PYTHON, else the one the app finds (python-runtime/.venv,
 * made by `npm run runtime:setup -- --cpu`).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createCore } from '../../src/main/core/create-core'
import type { RunEvent } from '../../src/shared/run-events'

const { values } = parseArgs({ options: { steps: { type: 'string', default: '200' }, 'poll-only': { type: 'boolean', default: false } } })
const steps = Number(values.steps)
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-bench-'))
const env = { ...process.env, LOCALTUNE_HOME: home }

if (values['poll-only']) {
  // Replace fs.watch for this process so only the polling fallback can see new lines.
  ;(fs as { watch: unknown }).watch = () => {
    throw new Error('fs.watch disabled for the benchmark')
  }
}

const core = createCore({ env, home, runs: { warn: (message) => console.error(message) } })
const latencies: number[] = []
let outputPushes = 0
core.events.subscribe((name, payload) => {
  if (name === 'run.event') {
    const event = (payload as { event: RunEvent }).event
    latencies.push(Date.now() - event.time * 1000)
  }
  if (name === 'run.output') outputPushes += 1
})

try {
  const run = await core.runs.startDemoRun({ maxSteps: steps })
  const done = await core.runs.waitForRun(run.id)
  const sorted = [...latencies].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
  const summary = {
    path: values['poll-only'] ? 'poll only (1 s interval)' : 'fs.watch + poll fallback',
    status: done.status,
    events: sorted.length,
    medianMs: Math.round(at(0.5) * 10) / 10,
    p95Ms: Math.round(at(0.95) * 10) / 10,
    maxMs: Math.round((sorted.at(-1) ?? NaN) * 10) / 10,
    outputPushes,
    trainSeconds: done.durationSeconds,
    machine: `${os.cpus().length} CPU(s), ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`
  }
  console.log(JSON.stringify(summary, null, 2))
} finally {
  core.close()
  fs.rmSync(home, { recursive: true, force: true })
}

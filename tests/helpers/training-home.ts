import fs from 'node:fs'
import path from 'node:path'
import type { RunSummary } from '../../src/shared/contract/runs'
import { createCore, type Core } from '../../src/main/core/create-core'
import { demoRunSettings, prepareDemoData } from '../../src/main/core/runs/demo-run'
import type { RunSupervisorOptions } from '../../src/main/core/runs/run-supervisor'
import { makeTempHome } from './temp-home'

/** The Python that trains in tests: LOCALTUNE_PYTHON, else the runtime venv (`npm run runtime:setup -- --cpu --with-tests`). */
export const testPython =
  process.env.LOCALTUNE_PYTHON || path.join(import.meta.dirname, '..', '..', 'python-runtime', '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')

export interface TrainingHome {
  home: string
  env: NodeJS.ProcessEnv
  /** Everything the core pushed, in order. */
  pushes: Array<{ name: string; payload: unknown }>
  core: Core
  cleanup(): void
}

/** A temp LOCALTUNE_HOME with a core over it that records its pushes; cleanup stops runs and removes the folder. */
export function makeTrainingHome(runs: RunSupervisorOptions = {}): TrainingHome {
  const temp = makeTempHome()
  const env: NodeJS.ProcessEnv = { ...process.env, LOCALTUNE_HOME: temp.home, LOCALTUNE_PYTHON: testPython }
  const core = createCore({ env, home: temp.home, runs: { warn: () => {}, ...runs } })
  const pushes: TrainingHome['pushes'] = []
  core.events.subscribe((name, payload) => pushes.push({ name, payload }))
  return {
    home: temp.home,
    env,
    pushes,
    core,
    cleanup: () => {
      for (const run of core.runs.listRuns()) {
        if (run.pid && (run.status === 'running' || run.status === 'stopping')) {
          try {
            process.kill(run.pid, 'SIGKILL')
          } catch {
            // already gone
          }
        }
      }
      core.close()
      temp.cleanup()
    }
  }
}

/** Waits for a condition, checking every 50 ms; fails with `what` after a generous timeout. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The events the runtime wrote, parsed (the test reads the file as the source of truth). */
export function readEventsFile(runDir: string): Array<{ type: string; step?: number; [key: string]: unknown }> {
  const file = path.join(runDir, 'events.jsonl')
  if (!fs.existsSync(file)) return []
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line)]
      } catch {
        return []
      }
    })
}

/**
 * A demo-model run on the bundled sample, with small batches so each step takes a fraction of
 * a second on a CPU: for tests that need many steps (stop mid-run, resume).
 */
export async function startQuickRun(core: Core, options: { maxSteps: number; params?: Record<string, unknown> }): Promise<RunSummary> {
  const dataDir = fs.mkdtempSync(path.join(core.home, 'quick-data-'))
  const data = await prepareDemoData(core.appRoot, dataDir)
  const settings = demoRunSettings(options.maxSteps)
  return core.runs.startRun({
    settings: { ...settings, params: { ...settings.params, micro_batch_size: 2, max_length: 256, ...options.params } },
    trainJsonl: data.trainJsonl,
    validJsonl: data.validJsonl,
    device: { kind: 'cpu' }
  })
}

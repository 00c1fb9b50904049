import { spawn } from 'node:child_process'
import path from 'node:path'
import { isProcessAlive } from '../../src/main/core/runs/process-liveness'
import { openDatabase } from '../../src/main/core/store/database'
import { readEventsFile, waitUntil } from './training-home'

const root = path.resolve(import.meta.dirname, '..', '..')

export interface CrashingHost {
  runId: string
  runDir: string
  /** The training runtime's pid, as its host recorded it. */
  runtimePid: number
  /**
   * Kills the host with SIGKILL, as a crash would, and waits until the runtime it started has
   * ended too (the pty hangs up and SIGHUP ends it: no orphan keeps training).
   */
  crash(): Promise<void>
  /** Kills the host if a test failed before crashing it. */
  cleanup(): void
}

/**
 * Another LocalTune process (tests/helpers/run-host.ts) over `env.LOCALTUNE_HOME`, training a long
 * quick run, returned once the runtime has written `progressEvents` progress events.
 */
export async function startCrashingHost(env: NodeJS.ProcessEnv, progressEvents: number): Promise<CrashingHost> {
  const home = env.LOCALTUNE_HOME
  if (!home) throw new Error('startCrashingHost needs LOCALTUNE_HOME in env')
  const host = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'tests', 'helpers', 'run-host.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
  const cleanup = () => host.kill('SIGKILL')
  try {
    let stdout = ''
    host.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    await waitUntil(() => stdout.includes('\n'), 'the host to start a run', 90_000)
    const { runId, runDir } = JSON.parse(stdout.split('\n')[0]!) as { runId: string; runDir: string }
    await waitUntil(() => readEventsFile(runDir).filter((event) => event.type === 'progress').length >= progressEvents, `${progressEvents} progress events`, 90_000)
    // Read the row without a supervisor: one would run recovery.
    const db = openDatabase(home)
    const runtimePid = (db.prepare('SELECT pid FROM runs WHERE id = ?').get(runId) as { pid: number }).pid
    db.close()
    return {
      runId,
      runDir,
      runtimePid,
      crash: async () => {
        const exited = new Promise((resolve) => host.once('exit', resolve))
        host.kill('SIGKILL')
        await exited
        await waitUntil(() => !isProcessAlive(runtimePid), 'the orphaned runtime to end on SIGHUP', 30_000)
      },
      cleanup
    }
  } catch (error) {
    cleanup()
    throw error
  }
}

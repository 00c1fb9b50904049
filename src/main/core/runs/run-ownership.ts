import { isSameProcessAlive, processStartTime } from './process-liveness'
import type { RunPatch, RunRow } from './run-store'

/** This process's start time, recorded with its pid on every run it owns: a reused pid is another process. */
const thisProcessStarted = processStartTime(process.pid)

/**
 * The columns that say which supervisor runs a row: this process (pid + start time) and the
 * supervisor's token. The desktop app and a `localtune train` in a terminal share one home this
 * way without taking each other's runs.
 */
export function ownedBy(hostToken: string): Pick<RunPatch, 'host_pid' | 'host_started' | 'host_token'> {
  return { host_pid: process.pid, host_started: thisProcessStarted, host_token: hostToken }
}

/**
 * Whether the supervisor that owns the row may still act on it: its process is the same one and
 * alive. A supervisor that closes releases its rows (RunStore.releaseHost), so a row naming a
 * live process always has a live supervisor behind it.
 */
export function ownerAlive(row: RunRow): boolean {
  if (!row.host_pid) return false
  return isSameProcessAlive(row.host_pid, row.host_started)
}

import path from 'node:path'
import type { RunFailure, RunStatus } from '../../../shared/contract/runs'
import { checkpointSteps, eventsFile, type RunEventIngest } from './event-ingest'
import { outputLogFile, outputTailLines } from './output-log'
import { lastAttemptEnd } from './run-outcome'
import type { RunRow, RunStore } from './run-store'
import { runtimeAlive } from './run-summary'

export interface RunRecoveryDeps {
  store: RunStore
  ingest: RunEventIngest
  warn(message: string): void
}

/**
 * Marks a run whose supervisor is gone (crashed, closed, or a peer process that died). Its
 * events.jsonl, the source of truth, is read again in full into SQLite; the run gets the status
 * of its `finished` event when the runtime got that far, else `interrupted`, resumable. A
 * runtime still alive without a supervisor is asked to save and stop rather than train blind.
 */
export function recoverRun(deps: RunRecoveryDeps, row: RunRow): void {
  const wasQueued = row.status === 'queued'
  const stillRunning = !wasQueued && runtimeAlive(row)
  if (stillRunning && row.pid) process.kill(row.pid, 'SIGINT')
  const { events, rejected } = deps.ingest.rebuild(row.id, row.run_dir)
  for (const line of rejected) deps.warn(`Run ${row.id}: skipped an invalid line of ${eventsFile} (${line.problem}): ${line.line}`)
  const { finished, error } = lastAttemptEnd(events)
  const checkpoint = checkpointSteps(row.run_dir).at(-1) ?? null
  const outputTail = outputTailLines(path.join(row.run_dir, outputLogFile))
  let status: RunStatus = 'interrupted'
  let failure: RunFailure | null
  if (!wasQueued && !stillRunning && finished) {
    status = finished.status
    failure = finished.status === 'failed' && error ? { message: error.message, kind: error.kind, advice: [...error.advice], exitCode: null, signal: null, outputTail } : null
  } else {
    const where = checkpoint === null ? 'No checkpoint was saved yet, so resuming starts again from step 0.' : `Resume continues from the checkpoint at step ${checkpoint}.`
    const message = wasQueued
      ? 'LocalTune closed while this run waited in the queue. Resume starts it.'
      : stillRunning
        ? `LocalTune closed while this run was training; its process (pid ${row.pid}) was asked to save and stop. Resume it once it has stopped.`
        : `LocalTune closed or crashed while this run was training, and its process${row.pid ? ` (pid ${row.pid})` : ''} is gone. ${where}`
    failure = { message, kind: null, advice: [], exitCode: null, signal: null, outputTail: wasQueued ? [] : outputTail }
  }
  const attemptSeconds = row.attempt_started_at ? Math.max(0, (Date.now() - Date.parse(row.attempt_started_at)) / 1000) : 0
  const lastEventTime = events.at(-1)?.time
  deps.store.update(row.id, {
    status,
    error_json: failure ? JSON.stringify(failure) : null,
    ended_at: lastEventTime ? new Date(lastEventTime * 1000).toISOString() : new Date().toISOString(),
    // The app died at some unknown moment: count up to the runtime's last word, not up to now.
    active_seconds: row.active_seconds + (lastEventTime && row.attempt_started_at ? Math.max(0, lastEventTime - Date.parse(row.attempt_started_at) / 1000) : attemptSeconds),
    attempt_started_at: null,
    resume_requested: 0
  })
}

import fs from 'node:fs'
import path from 'node:path'
import type { RunFailure, RunStatus } from '../../../shared/contract/runs'
import { TINY_DEMO_MODEL_ID } from '../../../shared/run-config/run-config-schema'
import type { RunEvent } from '../../../shared/run-events'
import { recordIndexRepair, type LocalTuneDatabase } from '../store/database'
import { checkpointSteps, eventsFile, RunEventIngest } from './event-ingest'
import { outputLogFile, outputTailLines } from './output-log'
import { readRunConfigFile, runConfigFile, runsRoot } from './run-folder'
import { lastAttemptEnd } from './run-outcome'
import { placementColumns, readPlacementFile } from './run-placement'
import { liveStatuses, RunStore } from './run-store'

/**
 * The SQLite index rebuilt from the run folders, the source of truth. After a kill -9 the
 * newest rows may live only in `localtune.db-wal`; a person who deletes that file (or restores an
 * old database) used to get an empty History next to intact run folders. At every start:
 *
 * - a run folder without a row gets one, read from its run.json and events.jsonl;
 * - a finished run whose row is behind its events.jsonl gets its metrics read again.
 *
 * Projects and datasets live only in the database; runs read back this way belong to no project
 * (they are listed with the demo and other runs) and have no dataset label.
 */

export interface RunIndexRebuild {
  /** Runs that had no row and got one. */
  added: string[]
  /** Runs whose metrics were read again because the index was behind the events file. */
  refreshed: string[]
  /** Folders that could not be read back, with why. */
  skipped: Array<{ runId: string; problem: string }>
}

/** A folder younger than this without events may be being created by another LocalTune right now. */
const creationGraceMs = 30_000

function fileSize(file: string): number | null {
  try {
    return fs.statSync(file).size
  } catch {
    return null
  }
}

/** How the run ended, from its events alone: the last attempt's `finished`, else interrupted. */
export function outcomeFromEvents(events: readonly RunEvent[], lastCheckpointStep: number | null, outputTail: string[]): { status: RunStatus; failure: RunFailure | null } {
  const { started, finished, error } = lastAttemptEnd(events)
  if (finished) {
    const failure =
      finished.status === 'failed'
        ? { message: error?.message ?? 'The run failed (its events.jsonl has no error event).', kind: error?.kind ?? null, advice: error ? [...error.advice] : [], exitCode: null, signal: null, outputTail }
        : null
    return { status: finished.status, failure }
  }
  const where =
    !started
      ? 'It had not started training.'
      : lastCheckpointStep === null
        ? 'No checkpoint was saved, so resuming starts again from step 0.'
        : `Resume continues from the checkpoint at step ${lastCheckpointStep}.`
  return {
    status: 'interrupted',
    failure: {
      message: `LocalTune's database had lost this run (after a crash, or localtune.db-wal was deleted); it was read back from its folder, where training had stopped without finishing. ${where}`,
      kind: null,
      advice: [],
      exitCode: null,
      signal: null,
      outputTail
    }
  }
}

/** Seconds of training over all attempts: each finished attempt's own count, plus the last progress of an unfinished one. */
function activeSeconds(events: readonly RunEvent[]): number {
  let total = 0
  let open = 0
  for (const event of events) {
    if (event.type === 'started') {
      total += open
      open = 0
    } else if (event.type === 'progress') open = event.elapsed_seconds
    else if (event.type === 'finished') {
      total += event.elapsed_seconds
      open = 0
    }
  }
  return total + open
}

function readBack(store: RunStore, ingest: RunEventIngest, runId: string, runDir: string): void {
  const config = readRunConfigFile(runDir)
  const configStat = fs.statSync(path.join(runDir, runConfigFile))
  const createdAt = configStat.mtime.toISOString()
  const demo = config.model.id === TINY_DEMO_MODEL_ID
  // Folders since migration 7 say where the run trained (placement.json). Older ones: the
  // runtime sees its GPU as cuda:0 whatever the index was (CUDA_VISIBLE_DEVICES), so the first
  // GPU is the best guess; the demo always trains on the CPU.
  const placement = readPlacementFile(runDir)
  store.insert({
    id: runId,
    project_id: null,
    status: 'interrupted',
    run_dir: runDir,
    created_at: createdAt,
    queued_at: createdAt,
    config_json: JSON.stringify(config),
    ...(placement ? placementColumns(placement) : { device_key: demo ? 'cpu' : 'cuda:0', gpu_index: demo ? null : 0 })
  })
  const { events } = ingest.rebuild(runId, runDir)
  const started = events.find((event) => event.type === 'started')
  const startedOnCpu = started?.type === 'started' && started.device === 'cpu'
  const outcome = outcomeFromEvents(events, checkpointSteps(runDir).at(-1) ?? null, outputTailLines(path.join(runDir, outputLogFile)))
  const last = events.at(-1)
  store.update(runId, {
    status: outcome.status,
    error_json: outcome.failure ? JSON.stringify(outcome.failure) : null,
    started_at: started ? new Date(started.time * 1000).toISOString() : null,
    ended_at: last ? new Date(last.time * 1000).toISOString() : createdAt,
    active_seconds: activeSeconds(events),
    ...(startedOnCpu && !placement ? { device_key: 'cpu', gpu_index: null } : {})
  })
}

/**
 * Reads run folders the index lacks (or is behind on) back into it. Safe to run while other
 * LocalTune processes use the home: live runs are left to their hosts, and a folder being created
 * right now (no events yet, run.json a few seconds old) is left for the next start.
 */
export function rebuildRunIndex(deps: { home: string; db: LocalTuneDatabase; warn?: (message: string) => void; now?: number }): RunIndexRebuild {
  const store = new RunStore(deps.db)
  const ingest = new RunEventIngest(deps.db)
  const now = deps.now ?? Date.now()
  const result: RunIndexRebuild = { added: [], refreshed: [], skipped: [] }
  const root = runsRoot(deps.home)
  let names: string[]
  try {
    names = fs.readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()
  } catch {
    return result
  }
  const live = new Set<string>(liveStatuses)
  for (const runId of names) {
    const runDir = path.join(root, runId)
    const row = store.get(runId)
    const eventsSize = fileSize(path.join(runDir, eventsFile))
    try {
      if (!row) {
        const config = path.join(runDir, runConfigFile)
        const configStat = fs.statSync(config, { throwIfNoEntry: false })
        if (!configStat) {
          // createRunFolder writes run.json last; an old folder without it is not a run.
          if (now - fs.statSync(runDir).mtimeMs > creationGraceMs) result.skipped.push({ runId, problem: `${runDir} has no ${runConfigFile}` })
          continue
        }
        if (eventsSize === null && now - configStat.mtimeMs < creationGraceMs) continue
        deps.db.transaction(() => readBack(store, ingest, runId, runDir))()
        result.added.push(runId)
      } else if (!live.has(row.status) && eventsSize !== null && eventsSize !== row.events_offset) {
        ingest.rebuild(runId, runDir)
        result.refreshed.push(runId)
      }
    } catch (error) {
      result.skipped.push({ runId, problem: error instanceof Error ? error.message : String(error) })
    }
  }
  if (result.added.length > 0) {
    recordIndexRepair(
      deps.db,
      `Read ${result.added.length} run${result.added.length === 1 ? '' : 's'} back from ${root} that the database had lost (after a crash, or localtune.db-wal was deleted): ${result.added.slice(0, 5).join(', ')}${result.added.length > 5 ? ', …' : ''}; they are listed without a project`
    )
  }
  if (result.refreshed.length > 0) recordIndexRepair(deps.db, `Read the metrics of ${result.refreshed.length} run${result.refreshed.length === 1 ? '' : 's'} again from their events.jsonl (the database was behind)`)
  for (const skipped of result.skipped) deps.warn?.(`Run folder ${skipped.runId} could not be read back into the database: ${skipped.problem}`)
  return result
}

import fs from 'node:fs'
import path from 'node:path'
import { parseRunEventLine, type RunEvent } from '../../../shared/run-events'
import type { LocalTuneDatabase } from '../store/database'
import { readCompleteLines } from './events-tail'

export const eventsFile = 'events.jsonl'

export interface ParsedLines {
  events: RunEvent[]
  /** Lines that are not a valid event, with why: reported, never fatal. */
  rejected: Array<{ line: string; problem: string }>
}

/** Validates each line against the shared run-event schema; blank lines are skipped. */
export function parseEventLines(lines: readonly string[]): ParsedLines {
  const events: RunEvent[] = []
  const rejected: ParsedLines['rejected'] = []
  for (const line of lines) {
    if (!line.trim()) continue
    const parsed = parseRunEventLine(line)
    if (parsed.ok) events.push(parsed.event)
    else rejected.push({ line: line.length > 300 ? `${line.slice(0, 300)}…` : line, problem: parsed.error })
  }
  return { events, rejected }
}

/**
 * What the run's terminal history says about a line of events.jsonl that is not an event. A
 * line cut short is what a power cut or a full disk leaves behind; the runtime starts its next
 * event on a new line, so only that line is lost, and the person sees that it was.
 */
export function rejectedLineNote(rejected: ParsedLines['rejected'][number]): string {
  return `A damaged line of ${eventsFile} was skipped (${rejected.problem}): ${rejected.line} ` +
    '(a line cut short is what a power cut or a full disk leaves; the events before and after it are kept).'
}

function isoFromEventTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString()
}

/**
 * Writes run events into SQLite, the index of the events file. Every write is an upsert keyed
 * by step, so reading the same lines twice (after a crash, or a resume that repeats steps from
 * its checkpoint) leaves one point per step, the newest one.
 */
export class RunEventIngest {
  private readonly upsertMetric
  private readonly upsertCheckpoint
  private readonly updateRun

  constructor(private readonly db: LocalTuneDatabase) {
    this.upsertMetric = db.prepare(`
      INSERT INTO metrics (run_id, kind, step, epoch, loss, lr, grad_norm, tokens_per_second, gpu_memory_bytes, time)
      VALUES (@run_id, @kind, @step, @epoch, @loss, @lr, @grad_norm, @tokens_per_second, @gpu_memory_bytes, @time)
      ON CONFLICT (run_id, kind, step) DO UPDATE SET
        epoch = excluded.epoch, loss = excluded.loss, lr = excluded.lr, grad_norm = excluded.grad_norm,
        tokens_per_second = excluded.tokens_per_second, gpu_memory_bytes = excluded.gpu_memory_bytes, time = excluded.time`)
    this.upsertCheckpoint = db.prepare(`
      INSERT INTO checkpoints (run_id, step, path, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (run_id, step) DO UPDATE SET path = excluded.path, created_at = excluded.created_at`)
    this.updateRun = (runId: string, sql: string, values: unknown[]) => db.prepare(`UPDATE runs SET ${sql} WHERE id = ?`).run(...values, runId)
  }

  /** Applies a batch and moves the stored offset past it, in one transaction: both or neither. */
  apply(runId: string, events: readonly RunEvent[], nextOffset: number): void {
    this.db.transaction(() => {
      for (const event of events) this.applyOne(runId, event)
      this.updateRun(runId, 'events_offset = ?', [nextOffset])
    })()
  }

  /**
   * Rebuilds the run's metrics and checkpoints from the whole events file, the source of truth.
   * Used by recovery, when SQLite may be behind what the runtime wrote.
   */
  rebuild(runId: string, runDir: string): ParsedLines & { nextOffset: number } {
    const { lines, nextOffset } = readCompleteLines(path.join(runDir, eventsFile), 0)
    const parsed = parseEventLines(lines)
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM metrics WHERE run_id = ?').run(runId)
      this.db.prepare('DELETE FROM checkpoints WHERE run_id = ?').run(runId)
      this.apply(runId, parsed.events, nextOffset)
    })()
    return { ...parsed, nextOffset }
  }

  private applyOne(runId: string, event: RunEvent): void {
    switch (event.type) {
      case 'started':
        this.updateRun(runId, 'total_steps = ?, device_label = ?', [event.total_steps, event.device])
        return
      case 'progress': {
        const memory = event.gpu_memory.peak_bytes ?? event.gpu_memory.allocated_bytes
        this.upsertMetric.run({
          run_id: runId, kind: 'train', step: event.step, epoch: event.epoch, loss: event.loss, lr: event.lr,
          grad_norm: event.grad_norm, tokens_per_second: event.tokens_per_second, gpu_memory_bytes: memory, time: event.time
        })
        this.updateRun(runId, 'last_step = ?, total_steps = ?', [event.step, event.total_steps])
        return
      }
      case 'eval':
        this.upsertMetric.run({
          run_id: runId, kind: 'eval', step: event.step, epoch: null, loss: event.eval_loss, lr: null,
          grad_norm: null, tokens_per_second: null, gpu_memory_bytes: null, time: event.time
        })
        this.updateRun(runId, 'final_eval_loss = ?', [event.eval_loss])
        return
      case 'checkpoint':
        this.upsertCheckpoint.run(runId, event.step, event.path, isoFromEventTime(event.time))
        return
      case 'finished':
        this.updateRun(runId, 'last_step = ?, final_loss = ?, final_eval_loss = COALESCE(?, final_eval_loss), peak_memory_bytes = ?, final_dir = ?', [
          event.step, event.final_train_loss, event.final_eval_loss, event.peak_memory_bytes, event.final_dir
        ])
        return
      case 'warning':
      case 'error':
        // Kept in the events file and pushed live; the supervisor turns the error into the run's failure.
        return
    }
  }
}

/** Checkpoint folders the runtime completed (`step-N`; a `.step-N.partial` is not one). */
export function checkpointSteps(runDir: string): number[] {
  let names: string[]
  try {
    names = fs.readdirSync(path.join(runDir, 'checkpoints'))
  } catch {
    return []
  }
  return names
    .map((name) => /^step-(\d+)$/.exec(name)?.[1])
    .filter((step): step is string => step !== undefined)
    .map(Number)
    .sort((a, b) => a - b)
}

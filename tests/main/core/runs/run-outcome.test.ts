import { describe, expect, it } from 'vitest'
import { decideOutcome, type AttemptFacts } from '../../../../src/main/core/runs/run-outcome'
import type { ErrorEvent, FinishedEvent } from '../../../../src/shared/run-events'

const finished = (status: FinishedEvent['status']): FinishedEvent => ({
  v: 1, type: 'finished', time: 1, run_id: 'r', status, step: 7, final_dir: 'final', adapter_path: null, weights_path: null,
  merged_path: null, final_train_loss: 1.5, final_eval_loss: null, peak_memory_bytes: null, elapsed_seconds: 3
})
const oom: ErrorEvent = { v: 1, type: 'error', time: 1, run_id: 'r', kind: 'out_of_memory', message: 'The GPU ran out of memory at step 7', advice: ['Lower micro_batch_size'], step: 7 }
const facts = (overrides: Partial<AttemptFacts>): AttemptFacts => ({
  exitCode: 0, signal: null, error: null, finished: null, stopRequested: false, forced: false, stopTimeoutMs: 60_000, lastCheckpointStep: 5, outputTail: ['last line'], ...overrides
})

describe('decideOutcome', () => {
  it("takes the runtime's word for a clean exit", () => {
    expect(decideOutcome(facts({ finished: finished('completed') }))).toEqual({ status: 'completed', failure: null })
    expect(decideOutcome(facts({ finished: finished('stopped'), stopRequested: true }))).toEqual({ status: 'stopped', failure: null })
  })

  it('keeps a stop the runtime saved as a stop when its launcher (torchrun) exits 1 on the forwarded SIGINT', () => {
    expect(decideOutcome(facts({ exitCode: 1, finished: finished('stopped'), stopRequested: true }))).toEqual({ status: 'stopped', failure: null })
    // Not asked to stop, or an error after the save: the exit status still counts.
    expect(decideOutcome(facts({ exitCode: 1, finished: finished('stopped'), stopRequested: false })).status).toBe('failed')
    expect(decideOutcome(facts({ exitCode: 1, finished: finished('stopped'), stopRequested: true, error: oom })).status).toBe('failed')
  })

  it('on a machine other than machine 0 of a run across machines, where no events are written, goes by the exit code and points to machine 0', () => {
    expect(decideOutcome(facts({ exitCode: 0, followerNode: 1 }))).toEqual({ status: 'completed', failure: null })
    const failed = decideOutcome(facts({ exitCode: 1, followerNode: 2 }))
    expect(failed.status).toBe('failed')
    expect(failed.failure?.message).toBe("This machine's ranks (node 2 of a run across machines) ended with exit code 1. Machine 0 holds the run's events, checkpoints and outputs; its run says which rank failed and why.")
    // Machine 0 (or a run on one machine) keeps needing the runtime's word.
    expect(decideOutcome(facts({ exitCode: 0, followerNode: null })).status).toBe('failed')
  })

  it("uses the runtime's error and advice for a failure it reported", () => {
    const outcome = decideOutcome(facts({ exitCode: 1, error: oom, finished: finished('failed') }))
    expect(outcome).toEqual({
      status: 'failed',
      failure: { kind: 'out_of_memory', message: oom.message, advice: oom.advice, exitCode: 1, signal: null, outputTail: ['last line'] }
    })
  })

  it('explains a death without a word by its signal or exit code', () => {
    expect(decideOutcome(facts({ exitCode: null, signal: 9 })).failure).toMatchObject({ signal: 'SIGKILL', message: expect.stringContaining('checkpoint at step 5') })
    expect(decideOutcome(facts({ exitCode: null, signal: 11 })).failure?.message).toContain('crashed (SIGSEGV)')
    expect(decideOutcome(facts({ exitCode: 3, lastCheckpointStep: null })).failure?.message).toMatch(/exited with code 3.*starts again from step 0/)
    expect(decideOutcome(facts({ exitCode: 0 })).status).toBe('failed')
  })

  it('tells a forced stop from a stop the runtime honoured', () => {
    expect(decideOutcome(facts({ exitCode: null, signal: 9, stopRequested: true, forced: true })).status).toBe('stopped_forcibly')
    // A stop that arrived before the runtime could install its handler ends it on SIGINT: still a stop.
    expect(decideOutcome(facts({ exitCode: null, signal: 2, stopRequested: true })).status).toBe('stopped')
    expect(decideOutcome(facts({ exitCode: null, signal: 2, stopRequested: false })).status).toBe('failed')
  })
})

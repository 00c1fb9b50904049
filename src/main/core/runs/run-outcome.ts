import os from 'node:os'
import type { RunFailure, RunStatus } from '../../../shared/contract/runs'
import type { ErrorEvent, FinishedEvent, RunEvent } from '../../../shared/run-events'

export interface AttemptFacts {
  exitCode: number | null
  signal: number | null
  /** The last `error` and `finished` events this attempt wrote (null when none). */
  error: ErrorEvent | null
  finished: FinishedEvent | null
  stopRequested: boolean
  /** The supervisor gave up waiting and sent SIGKILL. */
  forced: boolean
  stopTimeoutMs: number
  lastCheckpointStep: number | null
  outputTail: string[]
  /**
   * This machine's torchrun node rank when it is not machine 0 of a run across machines (null
   * otherwise): only machine 0's rank 0 writes events, so here the exit code is all there is.
   */
  followerNode?: number | null
}

/**
 * How the last attempt in an events file ended, as far as its events say: the events after its
 * `started` (a resumed run appends attempts to one file), its last `finished` and `error`.
 */
export function lastAttemptEnd(events: readonly RunEvent[]): { started: boolean; finished: FinishedEvent | null; error: ErrorEvent | null } {
  const lastStarted = events.map((event) => event.type).lastIndexOf('started')
  const attempt = events.slice(Math.max(0, lastStarted)).reverse()
  return {
    started: lastStarted !== -1,
    finished: attempt.find((event): event is FinishedEvent => event.type === 'finished') ?? null,
    error: attempt.find((event): event is ErrorEvent => event.type === 'error') ?? null
  }
}

export function signalName(signal: number | null): string | null {
  if (!signal) return null
  const entry = Object.entries(os.constants.signals).find(([, value]) => value === signal)
  return entry ? entry[0] : `signal ${signal}`
}

function resumeHint(step: number | null): string {
  return step === null
    ? 'No checkpoint was saved yet, so resuming starts again from step 0.'
    : `Resume continues from the checkpoint at step ${step}.`
}

/**
 * Decides how a runtime attempt ended, from what the runtime said (its `finished` and `error`
 * events) and how the process exited. The runtime's own word wins when it had one; a process
 * that died without a word (kill -9, the OOM killer, a segfault) is a failure with its exit
 * code or signal and the last lines it printed.
 */
export function decideOutcome(facts: AttemptFacts): { status: RunStatus; failure: RunFailure | null } {
  const base = {
    exitCode: facts.exitCode,
    signal: signalName(facts.signal),
    outputTail: facts.outputTail
  }
  if (facts.forced) {
    return {
      status: 'stopped_forcibly',
      failure: {
        ...base,
        kind: null,
        message: `The run did not stop within ${facts.stopTimeoutMs >= 1000 ? `${Math.round(facts.stopTimeoutMs / 1000)} s` : `${facts.stopTimeoutMs} ms`} of being asked, so it was killed. ${resumeHint(facts.lastCheckpointStep)}`,
        advice: []
      }
    }
  }
  if (facts.exitCode === 0 && facts.finished && facts.finished.status !== 'failed') {
    return { status: facts.finished.status, failure: null }
  }
  if (typeof facts.followerNode === 'number' && !facts.finished && !facts.error) {
    if (facts.exitCode === 0) return { status: 'completed', failure: null }
    return {
      status: 'failed',
      failure: {
        ...base,
        kind: null,
        message: `This machine's ranks (node ${facts.followerNode} of a run across machines) ended ${facts.signal ? `on ${signalName(facts.signal)}` : `with exit code ${facts.exitCode ?? 'unknown'}`}. Machine 0 holds the run's events, checkpoints and outputs; its run says which rank failed and why.`,
        advice: ['The output below shows the last lines of this machine\'s ranks.', 'Resume on every machine with the same flags, machine 0 first.']
      }
    }
  }
  // Asked to stop, and the runtime says it stopped (it saved): a launcher's own exit status does
  // not change that. torchrun exits 1 after forwarding a SIGINT (a stop sent by pid from another
  // LocalTune process) even though every rank saved and exited cleanly.
  if (facts.stopRequested && facts.finished?.status === 'stopped' && !facts.error) {
    return { status: 'stopped', failure: null }
  }
  // Asked to stop, and it ended on that request (the runtime saw a second signal, or the stop
  // arrived before it could install its handler): the person got what they asked for.
  const endedByStop = facts.error?.kind === 'interrupted' || signalName(facts.signal) === 'SIGINT' || signalName(facts.signal) === 'SIGTERM'
  if (facts.stopRequested && endedByStop) {
    return {
      status: 'stopped',
      failure: { ...base, kind: 'interrupted', message: `Stopped before the runtime could save. ${resumeHint(facts.lastCheckpointStep)}`, advice: [] }
    }
  }
  if (facts.error) {
    return {
      status: 'failed',
      failure: { ...base, kind: facts.error.kind, message: facts.error.message, advice: [...facts.error.advice] }
    }
  }
  return { status: 'failed', failure: { ...base, kind: null, ...diedWithoutAWord(facts) } }
}

function diedWithoutAWord(facts: AttemptFacts): { message: string; advice: string[] } {
  const signal = signalName(facts.signal)
  const hint = resumeHint(facts.lastCheckpointStep)
  if (signal === 'SIGKILL') {
    return {
      message: `The training process was killed (SIGKILL) without a word. ${hint}`,
      advice: [
        'On Linux the out-of-memory killer sends SIGKILL when the machine runs out of RAM: `dmesg | grep -i oom` shows it. Lower micro_batch_size or max_length, or close other programs.',
        'If you killed it yourself, resume it.'
      ]
    }
  }
  if (signal === 'SIGSEGV' || signal === 'SIGBUS' || signal === 'SIGABRT') {
    return {
      message: `The training process crashed (${signal}). ${hint}`,
      advice: ['A crash inside PyTorch or a GPU driver: the output below shows its last words. Updating the GPU driver or the runtime (`npm run runtime:setup`) often fixes it.']
    }
  }
  if (signal) return { message: `The training process ended on ${signal}. ${hint}`, advice: [] }
  if (facts.exitCode === 0) {
    return { message: `The training process exited without reporting how the run finished. ${hint}`, advice: ['The output below shows its last lines.'] }
  }
  return {
    message: `The training process exited with code ${facts.exitCode ?? 'unknown'} without reporting an error. ${hint}`,
    advice: ['The output below shows its last lines.']
  }
}

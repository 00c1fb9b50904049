import type { RunDetail, RunSummary } from '../../../shared/contract'
import type { ProgressEvent, RunEvent } from '../../../shared/run-events'
import { invoke } from '../../api/client'
import { currentRunId, liveRunActions, type RunAction } from '../../stores/live-run-store'
import { goToScreen } from '../../stores/navigation-store'
import { isLiveStatus, messageOf } from '../runs/run-labels'
import { clearLiveCurves, liveCurves } from './live-curves'
import { progressFromMetrics } from './progress-figures'
import type { RunAgainChanges } from './run-again-form'

// The run this tab shows survives a reload (sessionStorage is per tab, like the view itself).
const rememberedRunKey = 'localtune.currentRunId'

/** Events for the run being loaded wait here so they land after its stored points, in order. */
let loadingRunId: string | null = null
let eventsWhileLoading: RunEvent[] = []

function remember(runId: string | null): void {
  try {
    if (runId) sessionStorage.setItem(rememberedRunKey, runId)
    else sessionStorage.removeItem(rememberedRunKey)
  } catch {
    // storage can be disabled; the run is then simply not restored after a reload
  }
}

function remembered(): string | null {
  try {
    return sessionStorage.getItem(rememberedRunKey)
  } catch {
    return null
  }
}

/** Shows a run on the Train and Results screens: its settings, stored curves, then live events. */
export async function openRun(runId: string): Promise<void> {
  const actions = liveRunActions()
  actions.runOpened(runId)
  clearLiveCurves()
  remember(runId)
  loadingRunId = runId
  eventsWhileLoading = []
  try {
    const [detail, train, evaluation] = await Promise.all([
      invoke('runs.get', { runId }),
      invoke('runs.metrics', { runId, kind: 'train' }),
      invoke('runs.metrics', { runId, kind: 'eval' })
    ])
    if (currentRunId() !== runId) return
    liveCurves.train.appendMany(train.step, train.loss)
    liveCurves.eval.appendMany(evaluation.step, evaluation.loss)
    const lastEvalStep = evaluation.step.at(-1)
    actions.runLoaded({
      detail,
      progress: progressFromMetrics(train, detail.totalSteps, isLiveStatus(detail.status)),
      lastEval: lastEvalStep === undefined ? null : { step: lastEvalStep, loss: evaluation.loss.at(-1) ?? null }
    })
    loadingRunId = null
    for (const event of eventsWhileLoading.splice(0)) applyEvent(runId, event, true)
    if (detail.projectId) void loadProjectEstimate(detail.projectId, runId)
  } catch (error) {
    if (currentRunId() === runId) actions.runLoadFailed(messageOf(error))
  } finally {
    if (loadingRunId === runId) loadingRunId = null
  }
}

/**
 * For any screen that started a run (the demo, a project, run again): show it on Train.
 * The curve starts empty and fills from the run's events.
 */
export function runStarted(runId: string): void {
  void openRun(runId)
  goToScreen('train')
}

/** Shows a run picked from History on Train (live or finished) or on Results. */
export function runChosen(runId: string, screen: 'train' | 'results'): void {
  if (currentRunId() !== runId) void openRun(runId)
  goToScreen(screen)
}

/** Forgets the run on screen (it was deleted). */
export function runForgotten(runId: string): void {
  if (currentRunId() !== runId) return
  liveRunActions().runClosed()
  clearLiveCurves()
  remember(null)
}

/**
 * After a reload: the run this tab showed, else a run that is training now; a live one opens
 * the Train screen, so a reload mid-run comes straight back to the live curve.
 */
export async function restoreLiveRun(): Promise<void> {
  let runs: RunSummary[]
  try {
    runs = (await invoke('runs.list', {})).runs
  } catch {
    return
  }
  const previous = remembered()
  const target = runs.find((run) => run.id === previous) ?? runs.find((run) => isLiveStatus(run.status))
  if (!target || currentRunId()) return
  void openRun(target.id)
  if (isLiveStatus(target.status)) goToScreen('train')
}

async function loadProjectEstimate(projectId: string, runId: string): Promise<void> {
  try {
    const project = await invoke('projects.get', { projectId })
    if (currentRunId() !== runId) return
    const estimate = project.estimate
    liveRunActions().projectEstimateLoaded(
      estimate ? { projectName: project.name, peakBytes: estimate.peakBytes, deviceLabel: estimate.deviceLabel, verdict: estimate.verdict } : null
    )
  } catch {
    // A project that cannot be read just has no estimate to show next to the measurement.
  }
}

async function refreshDetail(runId: string): Promise<void> {
  try {
    const detail: RunDetail = await invoke('runs.get', { runId })
    if (currentRunId() === runId) liveRunActions().runLoaded({ detail, progress: null, lastEval: null })
  } catch {
    // the next status push tries again
  }
}

/** A `run.status` push: the summary of any run; the current one updates the screen. */
export function runStatusPushed(summary: RunSummary): void {
  if (summary.id !== currentRunId()) return
  liveRunActions().runStatusReceived(summary)
  // Checkpoints on disk change when an attempt ends (saved on stop, pruned on completion).
  if (!isLiveStatus(summary.status)) void refreshDetail(summary.id)
}

/** A `run.event` push: a line of the run's events.jsonl, already validated and stored by the core. */
export function runEventPushed(runId: string, event: RunEvent): void {
  if (runId !== currentRunId()) return
  if (loadingRunId === runId) {
    eventsWhileLoading.push(event)
    return
  }
  applyEvent(runId, event, false)
}

// The figures panel needs the newest progress only: a burst of events (a fast GPU, a catch-up
// after a reconnect) re-renders it once per frame, not once per event.
let newestProgress: { runId: string; event: ProgressEvent } | null = null
let progressFrame = 0

function progressArrived(runId: string, event: ProgressEvent): void {
  newestProgress = { runId, event }
  if (progressFrame) return
  progressFrame = requestAnimationFrame(() => {
    progressFrame = 0
    const progress = newestProgress
    newestProgress = null
    if (progress && progress.runId === currentRunId()) liveRunActions().progressReceived(progress.event)
  })
}

function applyEvent(runId: string, event: RunEvent, afterLoad: boolean): void {
  const actions = liveRunActions()
  switch (event.type) {
    case 'started':
      actions.runStartedReceived(event)
      return
    case 'progress':
      // Points read from the index already hold steps up to here.
      if (afterLoad && event.step <= (liveCurves.train.lastX() ?? 0)) return
      liveCurves.train.append(event.step, event.loss)
      progressArrived(runId, event)
      return
    case 'eval':
      if (afterLoad && event.step <= (liveCurves.eval.lastX() ?? -1)) return
      liveCurves.eval.append(event.step, event.eval_loss)
      actions.evalReceived(event)
      return
    case 'checkpoint':
      actions.checkpointReceived(event)
      return
    case 'warning':
      actions.warningReceived(event.message)
      return
    case 'error':
    case 'finished':
      // The run.status push that follows carries the outcome and the failure with its advice.
      return
  }
}

/** The event stream came back after a break: fetch the points and status the gap swallowed. */
export async function currentRunResynced(): Promise<void> {
  const runId = currentRunId()
  if (!runId || loadingRunId === runId) return
  try {
    const [summary, train, evaluation] = await Promise.all([
      invoke('runs.get', { runId }),
      invoke('runs.metrics', { runId, kind: 'train', sinceStep: Math.floor(liveCurves.train.lastX() ?? 0) }),
      invoke('runs.metrics', { runId, kind: 'eval', sinceStep: Math.floor(liveCurves.eval.lastX() ?? 0) })
    ])
    if (currentRunId() !== runId) return
    liveCurves.train.appendMany(train.step, train.loss)
    liveCurves.eval.appendMany(evaluation.step, evaluation.loss)
    liveRunActions().runLoaded({ detail: summary, progress: progressFromMetrics(train, summary.totalSteps, isLiveStatus(summary.status)), lastEval: null })
  } catch {
    // still disconnected: the next reconnect tries again
  }
}

async function runAction(action: RunAction, call: (runId: string) => Promise<RunSummary>): Promise<RunSummary | null> {
  const runId = currentRunId()
  if (!runId) return null
  const actions = liveRunActions()
  actions.actionStarted(action)
  try {
    const summary = await call(runId)
    actions.runStatusReceived(summary)
    actions.actionFinished(null)
    return summary
  } catch (error) {
    actions.actionFinished(messageOf(error))
    return null
  }
}

/** Asks the run to finish its step and save a checkpoint (the core kills it after its timeout); `force` kills at once. */
export function stopCurrentRun(force = false): Promise<RunSummary | null> {
  return runAction(force ? 'force-stop' : 'stop', (runId) => invoke('runs.stop', { runId, force }))
}

/** Continues from the last checkpoint in the same folder: the curves continue where they were. */
export function resumeCurrentRun(): Promise<RunSummary | null> {
  return runAction('resume', (runId) => invoke('runs.resume', { runId }))
}

/** A new run with this run's data and settings, some changed (params, method, device, merge); it opens on Train. */
export async function runAgainWithChanges(paramsPatch: Record<string, unknown>, changes: RunAgainChanges = {}): Promise<boolean> {
  const started = await runAction('run-again', (runId) => invoke('runs.run-again', { runId, paramsPatch, ...changes }))
  if (!started) return false
  runStarted(started.id)
  return true
}

import type { RunSummary } from '../../../shared/contract'
import { invoke } from '../../api/client'
import { runHistoryActions } from '../../stores/run-history-store'
import { runEstimateErrorsActions } from '../../stores/run-estimate-errors-store'
import { messageOf } from '../runs/run-labels'
import { runForgotten } from '../train/live-run-service'

let reloadQueued = false

/** Reads every project with its runs (the SQLite index the core keeps in step with the run folders). */
export async function loadHistory(): Promise<void> {
  const actions = runHistoryActions()
  actions.historyRequested()
  try {
    const [{ projects }, errors] = await Promise.all([invoke('runs.projects', {}), invoke('estimate.run-errors', {})])
    runEstimateErrorsActions().estimateErrorsLoaded(errors.runs)
    actions.historyLoaded(projects)
  } catch (error) {
    actions.historyLoadFailed(messageOf(error))
  }
}

/** A `run.status` push: update the row in place; a run the list has not seen yet reloads it. */
export function historyRunStatusPushed(summary: RunSummary): void {
  const actions = runHistoryActions()
  if (!actions.loaded) return
  const known = actions.groups.some((group) => group.runs.some((run) => run.id === summary.id))
  if (known) {
    actions.runStatusReceived(summary)
    return
  }
  if (reloadQueued) return
  reloadQueued = true
  // A new run pushes several statuses at once (queued, running): one reload covers them.
  setTimeout(() => {
    reloadQueued = false
    void loadHistory()
  }, 200)
}

/** Both runs' settings that differ and their curves, for the overlay. */
export async function compareRuns(a: string, b: string): Promise<void> {
  const actions = runHistoryActions()
  actions.comparisonRequested()
  try {
    actions.comparisonLoaded(await invoke('runs.compare', { a, b }))
  } catch (error) {
    actions.comparisonFailed(messageOf(error))
  }
}

/** Deletes the run the dialog asked about, with its folder. */
export async function deleteConfirmed(): Promise<void> {
  const actions = runHistoryActions()
  const target = actions.deleteTarget
  if (!target) return
  actions.deleteStarted()
  try {
    await invoke('runs.delete', { runId: target.id })
    actions.runDeleted(target.id)
    runForgotten(target.id)
  } catch (error) {
    actions.deleteFailed(messageOf(error))
  }
}

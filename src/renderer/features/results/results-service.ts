import { invoke } from '../../api/client'
import { runResultsActions } from '../../stores/run-results-store'
import { playgroundActions } from '../../stores/playground-store'
import { messageOf } from '../runs/run-labels'

/** What the run produced: files, model card, snippet, and the prompt the playground starts from. */
export async function loadResults(runId: string): Promise<void> {
  const actions = runResultsActions()
  actions.resultsRequested(runId)
  try {
    const results = await invoke('runs.results', { runId })
    actions.resultsLoaded(results)
    playgroundActions().playgroundOpened(results)
  } catch (error) {
    actions.resultsFailed(messageOf(error))
  }
}

/** Shows the folder in the file manager (desktop host only; the browser shows the path to copy). */
export async function openRunFolder(runId: string): Promise<void> {
  try {
    const { path } = await invoke('runs.open-folder', { runId })
    runResultsActions().folderOpened(`Opened ${path}.`)
  } catch (error) {
    runResultsActions().folderOpened(messageOf(error))
  }
}

import type { ModelCatalogEntry } from '../../../shared/contract'
import { ContractCallError, invoke } from '../../api/client'
import { sendAllowingOutsidePaths } from '../../app/outside-path-confirmation'
import { modelCatalogActions, modelCatalogNow } from '../../stores/model-catalog-store'
import { chosenModelNow, type ChosenModel } from '../../stores/model-choice-store'
import { parametersActions } from '../../stores/parameters-store'
import { projectCreationActions } from '../../stores/project-creation-store'

function failure(error: unknown): [string, string[]] {
  if (error instanceof ContractCallError) return [error.message, error.details]
  return [error instanceof Error ? error.message : String(error), []]
}

/** Lists the models (demo, Hugging Face cache, remembered folders); again with `force`. */
export async function catalogRequested(force = false): Promise<void> {
  const state = modelCatalogNow()
  if (state.listState.status === 'busy' || (!force && state.list)) return
  const actions = modelCatalogActions()
  actions.catalogRequested()
  try {
    actions.catalogLoaded(await invoke('models.list', {}))
  } catch (error) {
    actions.catalogFailed(...failure(error))
  }
}

export async function folderAddRequested(folder: string): Promise<boolean> {
  const actions = modelCatalogActions()
  if (folder.trim() === '') {
    actions.folderAddFailed('Folder: type the full path of a folder that holds a model (its config.json), or a folder of model folders.', ['path'])
    return false
  }
  actions.folderAddRequested()
  try {
    const answer = await sendAllowingOutsidePaths((confirmedPaths) => invoke('models.add-folder', { path: folder, confirmedPaths }))
    actions.folderAdded({ models: answer.models, folders: answer.folders, cacheDir: answer.cacheDir, problems: answer.problems }, answer.added, answer.found.length)
    return true
  } catch (error) {
    actions.folderAddFailed(...failure(error))
    return false
  }
}

export async function folderRemoveRequested(folder: string): Promise<void> {
  const actions = modelCatalogActions()
  try {
    actions.catalogLoaded(await invoke('models.remove-folder', { path: folder }))
  } catch (error) {
    actions.catalogFailed(...failure(error))
  }
}

export async function hubLookupRequested(id: string): Promise<void> {
  const actions = modelCatalogActions()
  if (id.trim() === '') {
    actions.hubLookupFailed('Hugging Face id: type an id such as Qwen/Qwen2.5-0.5B-Instruct.', ['id'])
    return
  }
  actions.hubLookupRequested()
  try {
    actions.hubModelResolved(await invoke('models.resolve', { id }))
  } catch (error) {
    actions.hubLookupFailed(...failure(error))
  }
}

export function chosenModelOf(entry: ModelCatalogEntry): ChosenModel {
  return { id: entry.id, path: entry.path, displayName: entry.displayName, demo: entry.isDemo, hasChatTemplate: entry.hasChatTemplate }
}

/**
 * The user picked a model (`modelChosen` is the model-choice store's action): every later step
 * reads it from there. Manual parameters typed for another model no longer apply.
 */
export function modelPicked(entry: ModelCatalogEntry, modelChosen: (model: ChosenModel) => void): void {
  const current = chosenModelNow()
  if (current && current.id === entry.id && current.path === entry.path) return
  modelChosen(chosenModelOf(entry))
  parametersActions().choicesReset()
  projectCreationActions().creationReset()
}

import { ContractCallError, invoke } from '../../api/client'
import { modelCatalogActions, modelCatalogNow } from '../../stores/model-catalog-store'
import { formatBytes } from '../runs/run-labels'
import { folderAddRequested } from './model-catalog-service'

/** The outcome of a pack or an add, in words for the panel. */
export type TransferOutcome = { ok: true; message: string } | { ok: false; message: string; details: string[] }

function failed(error: unknown): TransferOutcome {
  if (error instanceof ContractCallError) return { ok: false, message: error.message, details: error.details }
  return { ok: false, message: error instanceof Error ? error.message : String(error), details: [] }
}

/** Copies a model (a Hub id in the cache, or a folder's full path) into a folder to carry. */
export async function packModelRequested(model: string, outDir: string): Promise<TransferOutcome> {
  if (!model) return { ok: false, message: 'Model: choose the model to pack.', details: ['model'] }
  if (!outDir.trim()) return { ok: false, message: 'Folder to pack into: give the full path of a new or empty folder (e.g. on a USB disk).', details: ['outDir'] }
  try {
    const packed = await invoke('models.pack', { model, outDir })
    return { ok: true, message: `Packed ${packed.id}: ${packed.files} files, ${formatBytes(packed.bytes)}, in ${packed.dir}. On the other machine, add it with "Add a model from a folder or disk".` }
  } catch (error) {
    return failed(error)
  }
}

/**
 * Adds a model from a folder: copied into the Hugging Face cache (files and safetensors headers
 * checked), or used where it is (remembered as a model folder). Either way the list shows it after.
 */
export async function addModelFromDiskRequested(folder: string, how: 'cache' | 'in-place', id: string): Promise<TransferOutcome> {
  if (!folder.trim()) return { ok: false, message: 'Model folder: give the full path of the folder that holds the model.', details: ['path'] }
  if (how === 'in-place') {
    // The remembered-folders route reports into the folders panel's state as well as here.
    if (await folderAddRequested(folder)) return { ok: true, message: `LocalTune now reads models from ${folder.trim()} (it is in "Your model folders").` }
    const state = modelCatalogNow().folderState
    return state.status === 'failed' ? { ok: false, message: state.message, details: state.details } : { ok: false, message: 'The folder was not added.', details: ['path'] }
  }
  try {
    const answer = await invoke('models.add-packed', { path: folder, id: id.trim() || null })
    modelCatalogActions().catalogLoaded({ models: answer.models, folders: answer.folders, cacheDir: answer.cacheDir, problems: answer.problems })
    return { ok: true, message: `Added ${answer.added.id} to the Hugging Face cache (${answer.added.snapshotDir}). It is in the list above.` }
  } catch (error) {
    return failed(error)
  }
}

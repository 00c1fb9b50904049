import type { EventPayloadOf } from '../../../shared/contract'
import { ContractCallError, invoke, subscribe } from '../../api/client'
import { sendAllowingOutsidePaths } from '../../app/outside-path-confirmation'
import { modelCatalogActions, modelCatalogNow } from '../../stores/model-catalog-store'
import { formatBytes } from '../runs/run-labels'
import { folderAddRequested } from './model-catalog-service'

/** The outcome of a pack or an add, in words for the panel. */
export type TransferOutcome = { ok: true; message: string } | { ok: false; message: string; details: string[] }

/** How far a copy has got, for the panel's bar. */
export type TransferProgress = Pick<EventPayloadOf<'models.transfer-progress'>, 'file' | 'bytesDone' | 'bytesTotal'>

function failed(error: unknown): TransferOutcome {
  if (error instanceof ContractCallError) return { ok: false, message: error.message, details: error.details }
  return { ok: false, message: error instanceof Error ? error.message : String(error), details: [] }
}

let transfers = 0
/** An id of this window's own copy, so its progress is told apart from another window's. */
function newTransferId(action: 'pack' | 'add'): string {
  transfers += 1
  return `${action}-${Date.now().toString(36)}-${transfers}-${Math.random().toString(36).slice(2, 8)}`
}

/** Calls `run` with a fresh transfer id, passing that copy's progress events to `onProgress` while it runs. */
async function withProgress<T>(action: 'pack' | 'add', onStarted: (transferId: string) => void, onProgress: (progress: TransferProgress) => void, run: (transferId: string) => Promise<T>): Promise<T> {
  const transferId = newTransferId(action)
  const unsubscribe = subscribe((event, payload) => {
    if (event !== 'models.transfer-progress') return
    const progress = payload as EventPayloadOf<'models.transfer-progress'>
    if (progress.transferId === transferId) onProgress({ file: progress.file, bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal })
  })
  onStarted(transferId)
  try {
    return await run(transferId)
  } finally {
    unsubscribe()
  }
}

export interface TransferFollow {
  /** The id to cancel the copy with, once it has started. */
  onStarted(transferId: string): void
  onProgress(progress: TransferProgress): void
}

/** Copies a model (a Hub id in the cache, or a folder's full path) into a folder to carry. */
export async function packModelRequested(model: string, outDir: string, follow: TransferFollow): Promise<TransferOutcome> {
  if (!model) return { ok: false, message: 'Model: choose the model to pack.', details: ['model'] }
  if (!outDir.trim()) return { ok: false, message: 'Folder to pack into: give the full path of a new or empty folder (e.g. on a USB disk).', details: ['outDir'] }
  try {
    const packed = await withProgress('pack', follow.onStarted, follow.onProgress, (transferId) => sendAllowingOutsidePaths((confirmedPaths) => invoke('models.pack', { model, outDir, transferId, confirmedPaths })))
    if (packed.status === 'cancelled') return { ok: true, message: `Packing cancelled: what was copied into ${outDir} is removed; the model itself is untouched.` }
    return { ok: true, message: `Packed ${packed.id}: ${packed.files} files, ${formatBytes(packed.bytes)}, in ${packed.dir}. On the other machine, add it with "Add a model from a folder or disk".` }
  } catch (error) {
    return failed(error)
  }
}

/** Stops a pack or an add; the core removes what it had written. */
export async function transferCancelRequested(transferId: string): Promise<void> {
  try {
    await invoke('models.cancel-transfer', { transferId })
  } catch {
    // The copy's own call reports how it ended; a cancel that arrives late has nothing to stop.
  }
}

/**
 * Adds a model from a folder: copied into the Hugging Face cache (files and safetensors headers
 * checked), or used where it is (remembered as a model folder). Either way the list shows it after.
 */
export async function addModelFromDiskRequested(folder: string, how: 'cache' | 'in-place', id: string, follow: TransferFollow): Promise<TransferOutcome> {
  if (!folder.trim()) return { ok: false, message: 'Model folder: give the full path of the folder that holds the model.', details: ['path'] }
  if (how === 'in-place') {
    // The remembered-folders route reports into the folders panel's state as well as here.
    if (await folderAddRequested(folder)) return { ok: true, message: `LocalTune now reads models from ${folder.trim()} (it is in "Your model folders").` }
    const state = modelCatalogNow().folderState
    return state.status === 'failed' ? { ok: false, message: state.message, details: state.details } : { ok: false, message: 'The folder was not added.', details: ['path'] }
  }
  try {
    const answer = await withProgress('add', follow.onStarted, follow.onProgress, (transferId) => sendAllowingOutsidePaths((confirmedPaths) => invoke('models.add-packed', { path: folder, id: id.trim() || null, transferId, confirmedPaths })))
    if (answer.status === 'cancelled') return { ok: true, message: 'Adding cancelled: nothing was added to the Hugging Face cache; the folder is untouched.' }
    modelCatalogActions().catalogLoaded({ models: answer.models, folders: answer.folders, cacheDir: answer.cacheDir, problems: answer.problems })
    return { ok: true, message: `Added ${answer.added.id} to the Hugging Face cache (${answer.added.snapshotDir}). It is in the list above.` }
  } catch (error) {
    return failed(error)
  }
}

import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { ContractHandlers, ModelFolderList } from '../../../shared/contract'
import type { EventHub } from '../event-hub'
import { UserFacingError } from '../user-facing-error'
import { ModelNotFoundError } from './model-catalog'
import { TransferCancelledError } from './model-file-copy'
import { addModel, MODEL_PACK_MANIFEST, packModel } from './model-pack'
import { normaliseFolderPath } from './models-handlers'

export interface ModelTransferDeps {
  env: NodeJS.ProcessEnv
  events: EventHub
  /** The catalog as models.list answers it, read again after an add. */
  catalog(): Promise<ModelFolderList>
}

/** model-pack.ts refuses with messages written for the user (naming the folder and the file). */
function asUserFacing(error: unknown, field: string): never {
  if (error instanceof UserFacingError) throw error
  if (error instanceof ModelNotFoundError) throw new UserFacingError(error.message, { code: 'not_found', details: ['model'] })
  const message = error instanceof Error ? error.message : String(error)
  throw new UserFacingError(message, { code: 'invalid_request', details: [field] })
}

/**
 * models.pack and models.add-packed: the Model screen's way to carry a model to an offline
 * machine, the same work as `localtune models pack|add` (model-pack.ts). The copy streams on
 * libuv's thread pool, so the host keeps serving while gigabytes move; it pushes
 * models.transfer-progress and stops on models.cancel-transfer, removing what it wrote.
 */
export function modelTransferHandlers(deps: ModelTransferDeps): Pick<ContractHandlers, 'models.pack' | 'models.add-packed' | 'models.cancel-transfer'> {
  const running = new Map<string, AbortController>()

  /** Runs one copy under its id: progress out as events, cancellable until it ends. */
  async function transfer<T>(action: 'pack' | 'add', requested: string | undefined, work: (options: { signal: AbortSignal; onProgress: (progress: { file: string; bytesDone: number; bytesTotal: number }) => void }) => Promise<T>): Promise<T | { status: 'cancelled' }> {
    const transferId = requested ?? randomUUID()
    if (running.has(transferId)) throw new UserFacingError(`A copy with the id ${transferId} is already running.`, { code: 'conflict', details: ['transferId'] })
    const controller = new AbortController()
    running.set(transferId, controller)
    try {
      return await work({ signal: controller.signal, onProgress: (progress) => deps.events.publish('models.transfer-progress', { transferId, action, ...progress }) })
    } catch (error) {
      if (error instanceof TransferCancelledError) return { status: 'cancelled' }
      throw error
    } finally {
      running.delete(transferId)
    }
  }

  return {
    'models.pack': async ({ model, outDir, transferId }) => {
      const out = normaliseFolderPath(outDir)
      // A folder model is named by its full path (~ expanded), a cached one by its Hub id.
      const source = path.isAbsolute(model) || model.startsWith('~') ? normaliseFolderPath(model) : model
      try {
        return await transfer('pack', transferId, async (copy) => {
          const packed = await packModel(source, out, { env: deps.env, cwd: out, ...copy })
          return { status: 'done' as const, id: packed.manifest.id, dir: packed.dir, files: packed.manifest.files.length, bytes: packed.bytes }
        })
      } catch (error) {
        return asUserFacing(error, 'outDir')
      }
    },
    'models.add-packed': async ({ path: raw, id, transferId }) => {
      const folder = normaliseFolderPath(raw)
      if (!id && fs.existsSync(folder) && !fs.existsSync(path.join(folder, MODEL_PACK_MANIFEST))) {
        throw new UserFacingError(
          `${folder} has no ${MODEL_PACK_MANIFEST} naming the model (it was not made by "Pack for another machine"): type the Hugging Face id to file it under (org/name), or use the folder where it is with "Add folder".`,
          { code: 'invalid_request', details: ['id'] }
        )
      }
      let added: { id: string; snapshotDir: string } | { status: 'cancelled' }
      try {
        added = await transfer('add', transferId, (copy) => addModel(folder, { env: deps.env, id, ...copy }))
      } catch (error) {
        return asUserFacing(error, 'path')
      }
      if ('status' in added) return added
      return { status: 'done', ...(await deps.catalog()), added: { id: added.id, snapshotDir: added.snapshotDir } }
    },
    'models.cancel-transfer': async ({ transferId }) => {
      const controller = running.get(transferId)
      controller?.abort()
      return { cancelled: Boolean(controller) }
    }
  }
}

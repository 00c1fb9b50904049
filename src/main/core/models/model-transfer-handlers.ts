import fs from 'node:fs'
import path from 'node:path'
import type { ContractHandlers, ModelFolderList } from '../../../shared/contract'
import { UserFacingError } from '../user-facing-error'
import { ModelNotFoundError } from './model-catalog'
import { addModel, MODEL_PACK_MANIFEST, packModel } from './model-pack'
import { normaliseFolderPath } from './models-handlers'

export interface ModelTransferDeps {
  env: NodeJS.ProcessEnv
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
 * machine, the same work as `localtune models pack|add` (model-pack.ts). The copy is synchronous
 * in the host process, as the CLI's is: a multi-gigabyte model holds the host for the length of
 * the copy.
 */
export function modelTransferHandlers(deps: ModelTransferDeps): Pick<ContractHandlers, 'models.pack' | 'models.add-packed'> {
  return {
    'models.pack': async ({ model, outDir }) => {
      const out = normaliseFolderPath(outDir)
      // A folder model is named by its full path (~ expanded), a cached one by its Hub id.
      const source = path.isAbsolute(model) || model.startsWith('~') ? normaliseFolderPath(model) : model
      try {
        const packed = packModel(source, out, { env: deps.env, cwd: out })
        return { id: packed.manifest.id, dir: packed.dir, files: packed.manifest.files.length, bytes: packed.bytes }
      } catch (error) {
        return asUserFacing(error, 'outDir')
      }
    },
    'models.add-packed': async ({ path: raw, id }) => {
      const folder = normaliseFolderPath(raw)
      if (!id && fs.existsSync(folder) && !fs.existsSync(path.join(folder, MODEL_PACK_MANIFEST))) {
        throw new UserFacingError(
          `${folder} has no ${MODEL_PACK_MANIFEST} naming the model (it was not made by "Pack for another machine"): type the Hugging Face id to file it under (org/name), or use the folder where it is with "Add folder".`,
          { code: 'invalid_request', details: ['id'] }
        )
      }
      let added: { id: string; snapshotDir: string }
      try {
        added = addModel(folder, { env: deps.env, id })
      } catch (error) {
        return asUserFacing(error, 'path')
      }
      return { ...(await deps.catalog()), added: { id: added.id, snapshotDir: added.snapshotDir } }
    }
  }
}

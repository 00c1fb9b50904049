import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ContractHandlers, ModelFolderList } from '../../../shared/contract'
import { ModelNotFoundError } from './model-catalog'
import { listModelsOffThread, resolveModelOffThread } from './model-catalog-off-thread'
import type { LocalTuneDatabase } from '../store/database'
import { UserFacingError } from '../user-facing-error'
import { createModelFolderRepository } from './model-folder-repository'

type ModelsChannels = 'models.list' | 'models.add-folder' | 'models.remove-folder' | 'models.resolve'

/** "~/models" means the user's home; the app has no working directory a relative path could mean. */
export function normaliseFolderPath(raw: string): string {
  const trimmed = raw.trim()
  const expanded = trimmed === '~' || trimmed.startsWith('~/') || trimmed.startsWith('~\\') ? path.join(os.homedir(), trimmed.slice(1)) : trimmed
  if (!path.isAbsolute(expanded)) {
    throw new UserFacingError(`"${raw}" is not a full path. Give the whole path of the folder, e.g. ${process.platform === 'win32' ? 'C:\\models\\my-model' : '/home/me/models/my-model'}.`, {
      code: 'invalid_request',
      details: ['path']
    })
  }
  return path.resolve(expanded)
}

/**
 * models.* over the models core: the catalog is the built-in demo, the Hugging Face cache and
 * the folders the user added (remembered in the database). Nothing is ever downloaded.
 */
export function modelsHandlers(deps: { db: LocalTuneDatabase; env: NodeJS.ProcessEnv }): Pick<ContractHandlers, ModelsChannels> {
  const folders = createModelFolderRepository(deps.db)

  // Model folders are read on worker threads with a time limit: a folder that blocks reads must
  // not freeze the host (see model-catalog-off-thread.ts).
  const catalog = async (extra: readonly string[] = []): Promise<ModelFolderList> => {
    const remembered = folders.list()
    const scanned = [...new Set([...remembered, ...extra.map(normaliseFolderPath)])]
    const { cacheDir, models } = await listModelsOffThread({ env: deps.env, folders: scanned })
    const problems = models.filter((model) => model.architecture === null).map((model) => `${model.displayName}: ${model.problems.join('; ')}`)
    return { models, folders: remembered, cacheDir, problems }
  }

  return {
    'models.list': async ({ folders: extra }) => catalog(extra ?? []),
    'models.add-folder': async ({ path: raw }) => {
      const folder = normaliseFolderPath(raw)
      let stat: fs.Stats
      try {
        stat = fs.statSync(folder)
      } catch {
        throw new UserFacingError(`The folder ${folder} does not exist. Check the path (copy it from your file manager) and try again.`, { code: 'not_found', details: ['path'] })
      }
      if (!stat.isDirectory()) throw new UserFacingError(`${folder} is a file. Give the folder that holds the model's config.json (or a folder of model folders).`, { code: 'invalid_request', details: ['path'] })
      const found = (await listModelsOffThread({ env: deps.env, folders: [folder] })).models.filter((model) => model.source === 'folder' || (model.path !== null && model.path.startsWith(folder + path.sep)))
      if (found.length === 0) {
        throw new UserFacingError(`No model in ${folder}: LocalTune looks for a config.json in the folder itself or in its subfolders (or a Hugging Face cache with models--* folders).`, {
          code: 'not_found',
          details: ['path']
        })
      }
      folders.add(folder)
      return { ...(await catalog()), added: folder, found }
    },
    'models.remove-folder': async ({ path: raw }) => {
      const folder = normaliseFolderPath(raw)
      if (!folders.remove(folder)) throw new UserFacingError(`${folder} is not one of your model folders.`, { code: 'not_found', details: ['path'] })
      return catalog()
    },
    'models.resolve': async ({ id }) => {
      try {
        return await resolveModelOffThread(id, { env: deps.env, folders: folders.list() })
      } catch (error) {
        if (error instanceof ModelNotFoundError) throw new UserFacingError(error.message, { code: 'not_found', details: ['id'] })
        throw error
      }
    }
  }
}

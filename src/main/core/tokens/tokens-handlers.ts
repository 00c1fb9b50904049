import fs from 'node:fs'
import path from 'node:path'
import type { ContractHandlers } from '../../../shared/contract'
import type { ModelCatalogEntry } from '../../../shared/estimator/model-catalog-entry'
import type { TokenStats } from '../../../shared/estimator/token-stats'
import { tinyDemoEntry, tinyDemoModelId } from '../../../shared/estimator/tiny-demo'
import { draftFolder } from '../datasets/datasets-handlers'
import { describeModelFolder, ModelNotFoundError, resolveModel } from '../models/model-catalog'
import { computeTokenStats, tokenCounterFor } from './compute-token-stats'
import { readTrainingTexts, TrainingFileError } from './training-texts'
import { UserFacingError } from '../user-facing-error'

type TokensChannels = 'tokens.stats'

/** The model whose tokenizer counts: the folder the user chose (the same one training loads). */
function tokenizerModel(model: { id: string; path: string | null }, env: NodeJS.ProcessEnv): ModelCatalogEntry {
  if (model.id === tinyDemoModelId) return tinyDemoEntry()
  if (model.path) {
    if (!fs.existsSync(model.path)) throw new UserFacingError(`The model folder ${model.path} is gone. Choose the model again on the Model screen.`, { code: 'not_found', details: ['model.path'] })
    return describeModelFolder(model.path, { id: model.id, source: 'folder' })
  }
  try {
    return resolveModel(model.id, { env })
  } catch (error) {
    if (error instanceof ModelNotFoundError) throw new UserFacingError(error.message, { code: 'not_found', details: ['model.id'] })
    throw error
  }
}

/**
 * tokens.stats over the tokens core: the model's tokenizer.json in a worker thread, exact
 * byte counts for the demo, or the labelled approximation. Counting a big file takes seconds,
 * so the last few answers are kept for as long as the file and the model are unchanged.
 */
export function tokensHandlers(deps: { home: string; env: NodeJS.ProcessEnv }): Pick<ContractHandlers, TokensChannels> {
  const recent = new Map<string, Promise<TokenStats>>()
  const keep = 4

  return {
    'tokens.stats': async ({ datasetId, trainJsonlPath, model }) => {
      let file: string
      if (datasetId !== undefined) {
        if (!/^[A-Za-z0-9-]{1,64}$/.test(datasetId)) throw new UserFacingError(`"${datasetId}" is not a dataset id.`, { code: 'invalid_request', details: ['datasetId'] })
        file = path.join(draftFolder(deps.home, datasetId), 'train.jsonl')
      } else {
        file = path.resolve(trainJsonlPath as string)
      }
      let stat: fs.Stats
      try {
        stat = fs.statSync(file)
      } catch {
        throw new UserFacingError(`${file} does not exist: finish the Data step (it writes the training file), then come back.`, { code: 'not_found', details: [datasetId !== undefined ? 'datasetId' : 'trainJsonlPath'] })
      }
      if (!stat.isFile()) throw new UserFacingError(`${file} is not a file.`, { code: 'invalid_request', details: ['trainJsonlPath'] })
      const entry = tokenizerModel(model, deps.env)
      const key = JSON.stringify([file, stat.size, stat.mtimeMs, entry.id, entry.path, entry.hasTokenizer])
      let stats = recent.get(key)
      if (!stats) {
        stats = computeTokenStats(readTrainingTexts(file), { counter: tokenCounterFor(entry) })
        recent.set(key, stats)
        stats.catch(() => recent.delete(key))
        while (recent.size > keep) recent.delete(recent.keys().next().value as string)
      }
      try {
        return { trainPath: file, stats: await stats }
      } catch (error) {
        if (error instanceof TrainingFileError) throw new UserFacingError(error.message, { code: 'invalid_request', details: [file] })
        throw new UserFacingError(`The tokens of ${file} could not be counted with ${entry.displayName}'s tokenizer: ${(error as Error).message}`, { code: 'failed', details: [file] })
      }
    }
  }
}

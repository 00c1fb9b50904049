import fs from 'node:fs'
import path from 'node:path'
import { ModelConfigError, parseModelConfigText } from '../../../shared/estimator/model-architecture'
import type { ModelArchitecture } from '../../../shared/estimator/model-architecture'
import type { ModelCatalogEntry } from '../../../shared/estimator/model-catalog-entry'
import { countParameters } from '../../../shared/estimator/model-layers'
import { tinyDemoEntry, tinyDemoModelId } from '../../../shared/estimator/tiny-demo'
import { cpuPractical } from '../../../shared/estimator/device-rules'
import { locateChatTemplate } from '../datasets/chat-template-file'
import { findCachedRepo, listCachedRepos, resolveHfHubCache } from './hf-cache'
import { modelWeightFiles, SafetensorsError, tallyParameters } from './safetensors'
import { readRegularTextFile } from './bounded-file-read'

/**
 * The models LocalTune can offer: the built-in demo, every model in the Hugging Face cache,
 * and models in folders the user added. Reads config.json, the safetensors headers and the
 * tokenizer files; never downloads.
 */

export class ModelNotFoundError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelNotFoundError'
  }
}

export interface CatalogOptions {
  env?: NodeJS.ProcessEnv
  /** Folders the user added: a model folder (with config.json), or a folder of model folders. */
  folders?: readonly string[]
  /** Resolves relative folder paths. */
  cwd?: string
}

export interface ModelCatalog {
  /** The Hugging Face cache folder that was scanned. */
  cacheDir: string
  models: ModelCatalogEntry[]
}

/** Reads one model folder (a cache snapshot or a user folder) into a catalog entry. */
export function describeModelFolder(dir: string, identity: { id: string; source: 'hf-cache' | 'folder'; revision?: string | null; note?: string | null }): ModelCatalogEntry {
  const problems: string[] = []
  if (identity.note) problems.push(identity.note)
  let architecture: ModelArchitecture | null = null
  const configFile = path.join(dir, 'config.json')
  if (!fs.existsSync(configFile)) {
    problems.push(`no config.json in ${dir}: it is not a complete model folder`)
  } else {
    try {
      // Regular files of a bounded size only: a FIFO named config.json froze the host.
      architecture = parseModelConfigText(readRegularTextFile(configFile), configFile)
    } catch (error) {
      problems.push(error instanceof ModelConfigError ? error.message : `${configFile} cannot be read: ${(error as Error).message}`)
    }
  }

  let parameters: ModelCatalogEntry['parameters'] = null
  let weightBytes: number | null = null
  try {
    const files = modelWeightFiles(dir)
    if (files.length === 0) {
      problems.push(fs.readdirSync(dir).some((name) => /\.(bin|pt|pth)$/.test(name)) ? 'weights are only in PyTorch .bin/.pt files: the parameter count comes from config.json' : 'no safetensors weights found: the download may be incomplete')
    } else {
      const tally = tallyParameters(files)
      weightBytes = files.reduce((sum, file) => sum + fs.statSync(file).size, 0)
      const packed = Object.keys(tally.byDtype).some((dtype) => dtype === 'U8' || dtype === 'I8' || dtype === 'I32')
      if (packed && architecture?.quantization) {
        problems.push(`pre-quantised checkpoint (${architecture.quantization}): the headers count packed values, so the parameter count comes from config.json`)
      } else {
        parameters = { total: tally.total, byDtype: tally.byDtype, source: 'safetensors' }
      }
    }
  } catch (error) {
    problems.push(error instanceof SafetensorsError ? error.message : `weights cannot be read: ${(error as Error).message}`)
  }
  if (!parameters && architecture) parameters = { total: countParameters(architecture).total, byDtype: {}, source: 'config' }

  const hasTokenizer = fs.existsSync(path.join(dir, 'tokenizer.json'))
  if (!hasTokenizer) problems.push('no tokenizer.json: token statistics will be approximate')
  return {
    id: identity.id,
    displayName: identity.source === 'folder' ? path.basename(dir) : identity.id,
    source: identity.source,
    path: dir,
    revision: identity.revision ?? null,
    architecture,
    parameters,
    weightBytes,
    hasTokenizer,
    hasChatTemplate: locateChatTemplate(dir) !== null,
    isDemo: false,
    cpuCapable: cpuPractical(parameters?.total ?? null),
    problems
  }
}

/** A user folder: a model itself, a hub cache, or a folder of model folders. */
export function scanFolder(folder: string): ModelCatalogEntry[] {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    return [folderProblemEntry(folder, `the folder ${folder} does not exist (or is not a folder): remove it from the model folders or put the model back there`)]
  }
  if (fs.existsSync(path.join(folder, 'config.json'))) return [describeModelFolder(folder, { id: folder, source: 'folder' })]
  const children = fs.readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isDirectory())
  if (children.some((entry) => entry.name.startsWith('models--'))) {
    return listCachedRepos(folder).filter((repo) => repo.snapshotDir).map((repo) => describeModelFolder(repo.snapshotDir as string, { id: repo.id, source: 'hf-cache', revision: repo.revision, note: repo.note }))
  }
  return children
    .map((entry) => path.join(folder, entry.name))
    .filter((dir) => fs.existsSync(path.join(dir, 'config.json')))
    .map((dir) => describeModelFolder(dir, { id: dir, source: 'folder' }))
}

/** A catalog line for a folder that could not be read as a model, saying why. */
export function folderProblemEntry(folder: string, problem: string): ModelCatalogEntry {
  return {
    id: folder,
    displayName: path.basename(folder),
    source: 'folder',
    path: folder,
    revision: null,
    architecture: null,
    parameters: null,
    weightBytes: null,
    hasTokenizer: false,
    hasChatTemplate: false,
    isDemo: false,
    cpuCapable: false,
    problems: [problem]
  }
}

/** The folders the user added, as absolute paths (relative ones from `cwd`). */
export function userModelFolders(options: CatalogOptions): string[] {
  const cwd = options.cwd ?? process.cwd()
  return (options.folders ?? []).map((folder) => path.resolve(cwd, folder))
}

export function listModels(options: CatalogOptions = {}): ModelCatalog {
  const env = options.env ?? process.env
  const cacheDir = resolveHfHubCache(env)
  const cached = listCachedRepos(cacheDir).map((repo) =>
    repo.snapshotDir
      ? describeModelFolder(repo.snapshotDir, { id: repo.id, source: 'hf-cache', revision: repo.revision, note: repo.note })
      : { ...folderProblemEntry(repo.repoDir, `${repo.id}: ${repo.note}`), id: repo.id, displayName: repo.id, source: 'hf-cache' as const }
  )
  const fromFolders = userModelFolders(options).flatMap(scanFolder)
  return { cacheDir, models: [tinyDemoEntry(), ...cached, ...fromFolders] }
}

const hubIdPattern = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/

/**
 * The model a user names: the demo id, a folder path, or a Hub id in the cache. A Hub id that
 * is not cached gets the offline message; LocalTune never downloads.
 */
export function resolveModel(idOrPath: string, options: CatalogOptions = {}): ModelCatalogEntry {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const name = idOrPath.trim()
  if (name === tinyDemoModelId) return tinyDemoEntry()
  const asPath = path.resolve(cwd, name)
  const existsHere = fs.existsSync(asPath)
  const pathLike = path.isAbsolute(name) || name.startsWith('.') || name.startsWith('~') || name.includes('\\') || name.split('/').length > 2
  if (existsHere || pathLike) {
    if (!existsHere) throw new ModelNotFoundError(`The model folder ${asPath} does not exist. Check the path, or give a Hugging Face id such as "Qwen/Qwen2.5-0.5B-Instruct".`)
    if (!fs.statSync(asPath).isDirectory()) throw new ModelNotFoundError(`${asPath} is a file; --model needs the folder that holds the model's config.json and weights.`)
    if (!fs.existsSync(path.join(asPath, 'config.json'))) throw new ModelNotFoundError(`${asPath} has no config.json: point --model at the folder that holds the model's config.json and weights.`)
    return describeModelFolder(asPath, { id: asPath, source: 'folder' })
  }
  if (!hubIdPattern.test(name)) throw new ModelNotFoundError(`"${idOrPath}" is neither a model folder nor a Hugging Face id (like "meta-llama/Llama-3.2-1B").`)
  const cacheDir = resolveHfHubCache(env)
  const repo = findCachedRepo(cacheDir, name)
  if (repo?.snapshotDir) return describeModelFolder(repo.snapshotDir, { id: repo.id, source: 'hf-cache', revision: repo.revision, note: repo.note })
  for (const folder of userModelFolders(options)) {
    const match = scanFolder(folder).find((entry) => entry.id === name || entry.displayName === name)
    if (match) return match
  }
  throw new ModelNotFoundError(`${name} is not in the Hugging Face cache at ${cacheDir}; LocalTune runs offline: download it once with \`huggingface-cli download ${name}\` on a machine with internet, or add a folder that holds it`)
}

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ContractHandlers, ParsedRequestOf } from '../../shared/contract'
import type { ValidationSplit } from '../../shared/dataset/validation-split'
import { isInsideUserFolders, isWithinFolders, outsidePathDetail, type OutsidePath, type UserFolderFacts } from '../../shared/user-folders'
import { resolveHfHubCache } from './models/hf-cache'
import { UserFacingError } from './user-facing-error'

/** A path a request asks LocalTune to read from or write into, and the request field that names it. */
export type RequestedPath = OutsidePath

/** As the handlers read a path: "~" is the home folder, anything else relative is from the working folder. */
function absolutePath(requested: string): string {
  const trimmed = requested.trim()
  const expanded = trimmed === '~' || trimmed.startsWith('~/') || trimmed.startsWith('~\\') ? path.join(os.homedir(), trimmed.slice(1)) : trimmed
  return path.resolve(expanded)
}

/**
 * The real location of a path that may not exist yet: the nearest existing ancestor through
 * realpath (symlinks and `..` resolved), with the missing rest appended. So a symlink in the home
 * folder that points into /etc is judged as /etc.
 */
export function resolveThroughLinks(requested: string): string {
  const absolute = absolutePath(requested)
  const missing: string[] = []
  let existing = absolute
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(existing), ...missing.reverse())
    } catch {
      const parent = path.dirname(existing)
      if (parent === existing) return absolute
      missing.push(path.basename(existing))
      existing = parent
    }
  }
}

/**
 * The user's folders on this machine, each resolved through links (e.g. macOS /tmp is /private/tmp),
 * and LocalTune's install folder as one it may read from (its demo CSV ships there).
 */
export function userFolderFactsOf(env: NodeJS.ProcessEnv, localtuneHome: string, installFolder?: string): UserFolderFacts {
  const hfHome = env.HF_HOME?.trim()
  const huggingFace = [resolveHfHubCache(env), ...(hfHome ? [hfHome] : [])]
  return {
    platform: process.platform === 'win32' ? 'win32' : 'posix',
    home: resolveThroughLinks(os.homedir()),
    localtuneHome: resolveThroughLinks(localtuneHome),
    huggingFaceFolders: huggingFace.map(resolveThroughLinks),
    tempDir: resolveThroughLinks(os.tmpdir()),
    systemDrive: env.SystemDrive,
    readOnlyFolders: installFolder ? [resolveThroughLinks(installFolder)] : []
  }
}

/**
 * A path a request asks LocalTune to read from or write into. `modelFolder`: it names a model
 * folder, so a folder of models the user added (and confirmed then, when it was outside) covers it.
 */
export type CheckedPath = RequestedPath & { modelFolder?: boolean }

/**
 * Refuses a request naming a path outside the user's folders that the user did not confirm
 * (`confirmedPaths` holds it exactly as the request gave it). The page asks in a dialog that
 * names the path and resends; the message tells a script's author the same. A model folder inside
 * one of `modelFolders` (the folders of models the user added) needs no second confirmation.
 */
export function refuseUnconfirmedOutsidePaths(requested: readonly CheckedPath[], confirmedPaths: readonly string[], facts: UserFolderFacts, modelFolders: readonly string[] = []): void {
  const confirmed = new Set(confirmedPaths.map(absolutePath))
  const seen = new Set<string>()
  const outside = requested.filter((one) => {
    const absolute = absolutePath(one.path)
    if (confirmed.has(absolute)) return false
    const real = resolveThroughLinks(one.path)
    if (isInsideUserFolders(real, facts, one.use)) return false
    if (one.modelFolder && one.use === 'read from' && isWithinFolders(real, modelFolders.map(resolveThroughLinks), facts.platform)) return false
    // A path two fields name (a project's model and its settings' model) is asked about once.
    const key = `${one.use} ${absolute}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  if (outside.length === 0) return
  const described = outside.map((one) => {
    const real = resolveThroughLinks(one.path)
    const where = real === absolutePath(one.path) ? '' : ` (which is ${real})`
    const what = one.what ? ` (${one.what})` : ''
    return `${one.field}${what}: LocalTune would ${one.use} ${one.path}${where}, outside your folders`
  })
  throw new UserFacingError(
    `${described.join('; ')}. Folders outside yours belong to the system or to other programs, so LocalTune reads or writes there only when you allow that path. Your folders are your home folder, the LocalTune home, the Hugging Face cache, the temp folder and removable disks (/media, /mnt, /run/media, /Volumes). Choose a path there, or allow this path when the app asks (a script adds it to confirmedPaths).`,
    { code: 'outside_user_folders', details: outside.map(({ field, use, path: where, what }) => outsidePathDetail({ field, use, path: where, ...(what ? { what } : {}) })) }
  )
}

type PathReader<C extends keyof ContractHandlers> = (request: ParsedRequestOf<C>) => CheckedPath[]

const isFullPath = (requested: string) => path.isAbsolute(requested.trim()) || requested.trim().startsWith('~')

/** A path the handler refuses unless it is a full path: a relative one is left to its clearer message. */
const fullPathOnly = (field: string, requested: string, use: RequestedPath['use'], what: string): CheckedPath[] => (isFullPath(requested) ? [{ field, path: requested, use, what }] : [])

/**
 * A path the handler opens as given (no "~", relative to the working folder): judged as exactly
 * that file, so a leading "~" cannot be judged as the home folder and read from somewhere else.
 */
const readAsGiven = (field: string, requested: string | null | undefined, what: string, modelFolder = false): CheckedPath[] =>
  requested ? [{ field, path: path.resolve(requested), use: 'read from', what, ...(modelFolder ? { modelFolder } : {}) }] : []

/** The model models.pack reads: a full path, a path relative to outDir (as packModel reads it), or none for a Hub id. */
function packSource(model: string, outDir: string): CheckedPath[] {
  const name = model.trim()
  const what = 'the model to pack'
  if (isFullPath(name)) return [{ field: 'model', path: name, use: 'read from', what, modelFolder: true }]
  const relative = path.resolve(absolutePath(outDir), name)
  const pathLike = name.startsWith('.') || name.includes('\\') || name.split('/').length > 2 || fs.existsSync(relative)
  return pathLike ? [{ field: 'model', path: relative, use: 'read from', what, modelFolder: true }] : []
}

/** A second CSV as the validation set (split kind "file"), read when the training files are written. */
const validationCsv = (field: string, split: ValidationSplit | undefined): CheckedPath[] => (split?.kind === 'file' ? readAsGiven(field, split.path, 'the validation CSV') : [])

const modelFolder = 'the model folder'
const trainingFile = 'the training file'

/**
 * Every channel that takes a filesystem path from its caller, and the fields that name one.
 * Every one of them can name a place the user chose (a CSV anywhere, a model folder, a train.jsonl
 * that datasets.export wrote into a folder the user picked), so each gets the same rule: the
 * user's folders, or the user's confirmation. What LocalTune makes itself (drafts, projects,
 * runs, exports' default folders) is named by ids (datasetId, projectId, runId), which the core
 * turns into paths under LOCALTUNE_HOME; no request carries such a path back.
 */
const requestedPathsByChannel: { [C in keyof ContractHandlers]?: PathReader<C> } = {
  'models.list': (request) => (request.folders ?? []).map((folder, index) => ({ field: `folders.${index}`, path: folder, use: 'read from' as const, what: 'a folder of models' })),
  'models.add-folder': (request) => fullPathOnly('path', request.path, 'read from', 'a folder of models'),
  'models.pack': (request) => [...packSource(request.model, request.outDir), ...fullPathOnly('outDir', request.outDir, 'write into', 'the folder to pack into')],
  'models.add-packed': (request) => fullPathOnly('path', request.path, 'read from', 'the model to add'),
  'datasets.peek': (request) => readAsGiven('path', request.path, 'the CSV file'),
  'datasets.import': (request) => readAsGiven('path', request.path, 'the CSV file'),
  'datasets.export': (request) => [
    ...validationCsv('split.path', request.split),
    ...(request.outDir === undefined ? [] : [{ field: 'outDir', path: request.outDir, use: 'write into' as const, what: 'the folder for the training files' }])
  ],
  'datasets.chat-template': (request) => readAsGiven('modelPath', request.modelPath, modelFolder, true),
  'tokens.stats': (request) => [...readAsGiven('trainJsonlPath', request.trainJsonlPath, trainingFile), ...readAsGiven('model.path', request.model.path, modelFolder, true)],
  'estimate.verify': (request) => [...readAsGiven('trainJsonlPath', request.trainJsonlPath, trainingFile), ...readAsGiven('settings.model.path', request.settings.model.path, modelFolder, true)],
  'runs.start': (request) => [
    ...readAsGiven('trainJsonl', request.trainJsonl, trainingFile),
    ...readAsGiven('validJsonl', request.validJsonl, 'the validation file'),
    ...readAsGiven('settings.model.path', request.settings.model.path, modelFolder, true)
  ],
  'projects.create': (request) => [
    ...readAsGiven('model.path', request.model.path, modelFolder, true),
    ...readAsGiven('settings.model.path', request.settings.model.path, modelFolder, true),
    ...validationCsv('data.split.path', request.data.split)
  ],
  'runtime.setup': (request) => (request.wheelhouse === null ? [] : [{ field: 'wheelhouse', path: request.wheelhouse, use: 'read from', what: 'the folder of Python packages to install' }]),
  'runtime.install-from-folder': (request) => fullPathOnly('folder', request.folder, 'read from', 'the packed runtime to install'),
  'exports.plan': (request) => (request.options.outDir === undefined ? [] : [{ field: 'options.outDir', path: request.options.outDir, use: 'write into', what: 'the folder for the export' }]),
  'exports.start': (request) => (request.options.outDir === undefined ? [] : [{ field: 'options.outDir', path: request.options.outDir, use: 'write into', what: 'the folder for the export' }])
}

export const channelsCheckedForOutsidePaths = Object.keys(requestedPathsByChannel) as (keyof ContractHandlers)[]

export interface OutsidePathPlaces {
  /** LocalTune's install folder: read without asking (its demo CSV), never written into without asking. */
  installFolder?: string
  /** The folders of models the user added (models.add-folder asked for each outside one then). */
  modelFolders?: () => readonly string[]
}

/**
 * The handlers with the outside-path check in front of every channel that takes a path, so no
 * host (desktop, browser, CLI) and no channel is a way around it. The folders are read once per
 * call: LOCALTUNE_HOME is fixed, but a USB disk or a new cache folder may appear at any time.
 */
export function checkingOutsidePaths(handlers: ContractHandlers, env: NodeJS.ProcessEnv, localtuneHome: string, places: OutsidePathPlaces = {}): ContractHandlers {
  const checked: ContractHandlers = { ...handlers }
  for (const channel of channelsCheckedForOutsidePaths) {
    const reader = requestedPathsByChannel[channel] as PathReader<typeof channel>
    const handler = handlers[channel] as (request: ParsedRequestOf<typeof channel>) => Promise<unknown>
    ;(checked as Record<string, unknown>)[channel] = async (request: ParsedRequestOf<typeof channel> & { confirmedPaths?: string[] }) => {
      refuseUnconfirmedOutsidePaths(reader(request), request.confirmedPaths ?? [], userFolderFactsOf(env, localtuneHome, places.installFolder), places.modelFolders?.() ?? [])
      return handler(request)
    }
  }
  return checked
}

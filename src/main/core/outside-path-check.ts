import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ContractHandlers, ParsedRequestOf } from '../../shared/contract'
import { isInsideUserFolders, outsidePathDetail, type OutsidePath, type UserFolderFacts } from '../../shared/user-folders'
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

/** The user's folders on this machine, each resolved through links (e.g. macOS /tmp is /private/tmp). */
export function userFolderFactsOf(env: NodeJS.ProcessEnv, localtuneHome: string): UserFolderFacts {
  const hfHome = env.HF_HOME?.trim()
  const huggingFace = [resolveHfHubCache(env), ...(hfHome ? [hfHome] : [])]
  return {
    platform: process.platform === 'win32' ? 'win32' : 'posix',
    home: resolveThroughLinks(os.homedir()),
    localtuneHome: resolveThroughLinks(localtuneHome),
    huggingFaceFolders: huggingFace.map(resolveThroughLinks),
    tempDir: resolveThroughLinks(os.tmpdir()),
    systemDrive: env.SystemDrive
  }
}

/**
 * Refuses a request naming a path outside the user's folders that the user did not confirm
 * (`confirmedPaths` holds it exactly as the request gave it). The page asks in a dialog that
 * names the path and resends; the message tells a script's author the same.
 */
export function refuseUnconfirmedOutsidePaths(requested: readonly RequestedPath[], confirmedPaths: readonly string[], facts: UserFolderFacts): void {
  const confirmed = new Set(confirmedPaths.map(absolutePath))
  const outside = requested.filter((one) => !confirmed.has(absolutePath(one.path)) && !isInsideUserFolders(resolveThroughLinks(one.path), facts))
  if (outside.length === 0) return
  const described = outside.map((one) => {
    const real = resolveThroughLinks(one.path)
    const where = real === absolutePath(one.path) ? '' : ` (which is ${real})`
    return `${one.field}: LocalTune would ${one.use} ${one.path}${where}, outside your folders`
  })
  throw new UserFacingError(
    `${described.join('; ')}. Your folders are your home folder, the LocalTune home, the Hugging Face cache, the temp folder and removable disks (/media, /mnt, /run/media, /Volumes). Choose a folder there, or allow this path when the app asks (a script adds it to confirmedPaths).`,
    { code: 'outside_user_folders', details: outside.map(outsidePathDetail) }
  )
}

type PathReader<C extends keyof ContractHandlers> = (request: ParsedRequestOf<C>) => RequestedPath[]

const isFullPath = (requested: string) => path.isAbsolute(requested.trim()) || requested.trim().startsWith('~')

/** A path the handler refuses unless it is a full path: a relative one is left to its clearer message. */
const fullPathOnly = (field: string, requested: string, use: RequestedPath['use']): RequestedPath[] => (isFullPath(requested) ? [{ field, path: requested, use }] : [])

/** The model models.pack reads: a full path, a path relative to outDir (as packModel reads it), or none for a Hub id. */
function packSource(model: string, outDir: string): RequestedPath[] {
  const name = model.trim()
  if (isFullPath(name)) return [{ field: 'model', path: name, use: 'read from' }]
  const relative = path.resolve(absolutePath(outDir), name)
  const pathLike = name.startsWith('.') || name.includes('\\') || name.split('/').length > 2 || fs.existsSync(relative)
  return pathLike ? [{ field: 'model', path: relative, use: 'read from' }] : []
}

/** Every channel that takes a filesystem path from its caller, and the fields that name one. */
const requestedPathsByChannel: { [C in keyof ContractHandlers]?: PathReader<C> } = {
  'models.list': (request) => (request.folders ?? []).map((folder, index) => ({ field: `folders.${index}`, path: folder, use: 'read from' as const })),
  'models.add-folder': (request) => fullPathOnly('path', request.path, 'read from'),
  'models.pack': (request) => [...packSource(request.model, request.outDir), ...fullPathOnly('outDir', request.outDir, 'write into')],
  'models.add-packed': (request) => fullPathOnly('path', request.path, 'read from'),
  'datasets.export': (request) => (request.outDir === undefined ? [] : [{ field: 'outDir', path: request.outDir, use: 'write into' }]),
  'runtime.setup': (request) => (request.wheelhouse === null ? [] : [{ field: 'wheelhouse', path: request.wheelhouse, use: 'read from' }]),
  'runtime.install-from-folder': (request) => fullPathOnly('folder', request.folder, 'read from'),
  'exports.plan': (request) => (request.options.outDir === undefined ? [] : [{ field: 'options.outDir', path: request.options.outDir, use: 'write into' }]),
  'exports.start': (request) => (request.options.outDir === undefined ? [] : [{ field: 'options.outDir', path: request.options.outDir, use: 'write into' }])
}

export const channelsCheckedForOutsidePaths = Object.keys(requestedPathsByChannel) as (keyof ContractHandlers)[]

/**
 * The handlers with the outside-path check in front of every channel that takes a path, so no
 * host (desktop, browser, CLI) and no channel is a way around it. The folders are read once per
 * call: LOCALTUNE_HOME is fixed, but a USB disk or a new cache folder may appear at any time.
 */
export function checkingOutsidePaths(handlers: ContractHandlers, env: NodeJS.ProcessEnv, localtuneHome: string): ContractHandlers {
  const checked: ContractHandlers = { ...handlers }
  for (const channel of channelsCheckedForOutsidePaths) {
    const reader = requestedPathsByChannel[channel] as PathReader<typeof channel>
    const handler = handlers[channel] as (request: ParsedRequestOf<typeof channel>) => Promise<unknown>
    ;(checked as Record<string, unknown>)[channel] = async (request: ParsedRequestOf<typeof channel> & { confirmedPaths?: string[] }) => {
      refuseUnconfirmedOutsidePaths(reader(request), request.confirmedPaths ?? [], userFolderFactsOf(env, localtuneHome))
      return handler(request)
    }
  }
  return checked
}

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { modelFileLimits, readRegularTextFile } from './bounded-file-read'

/**
 * The Hugging Face hub cache, read the way huggingface_hub lays it out:
 * `<cache>/models--<org>--<name>/refs/main` holds the commit of the snapshot that "main"
 * points to, and `<cache>/models--<org>--<name>/snapshots/<commit>/` holds the files (links
 * into `blobs/`).
 */

/** HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub (huggingface_hub's order). */
export function resolveHfHubCache(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.HF_HUB_CACHE?.trim() || env.HUGGINGFACE_HUB_CACHE?.trim()
  if (explicit) return path.resolve(expandHome(explicit, env))
  const hfHome = env.HF_HOME?.trim()
  if (hfHome) return path.resolve(expandHome(hfHome, env), 'hub')
  const xdg = env.XDG_CACHE_HOME?.trim()
  if (xdg) return path.resolve(expandHome(xdg, env), 'huggingface', 'hub')
  return path.join(env.HOME || env.USERPROFILE || os.homedir(), '.cache', 'huggingface', 'hub')
}

function expandHome(value: string, env: NodeJS.ProcessEnv): string {
  return value.startsWith('~') ? path.join(env.HOME || env.USERPROFILE || os.homedir(), value.slice(1)) : value
}

/** "models--meta-llama--Llama-3.2-1B" ↔ "meta-llama/Llama-3.2-1B" (repo names cannot contain "--"). */
export function repoFolderName(id: string): string {
  return `models--${id.split('/').join('--')}`
}

export function repoIdFromFolder(folder: string): string | null {
  if (!folder.startsWith('models--')) return null
  const rest = folder.slice('models--'.length)
  const split = rest.indexOf('--')
  return split === -1 ? rest : `${rest.slice(0, split)}/${rest.slice(split + 2)}`
}

export interface CachedRepo {
  id: string
  repoDir: string
  /** The snapshot folder to read, or null when the repo has none (nothing downloaded). */
  snapshotDir: string | null
  revision: string | null
  /** Set when refs/main is missing or points at a snapshot that is not there. */
  note: string | null
}

/** Which snapshot of a cached repo to use: the one refs/main names, else the newest. */
export function locateSnapshot(repoDir: string, id: string): CachedRepo {
  const snapshots = path.join(repoDir, 'snapshots')
  const available = fs.existsSync(snapshots) ? fs.readdirSync(snapshots, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name) : []
  const refFile = path.join(repoDir, 'refs', 'main')
  const ref = readRef(refFile)
  if (ref && available.includes(ref)) return { id, repoDir, snapshotDir: path.join(snapshots, ref), revision: ref, note: null }
  if (available.length === 0) return { id, repoDir, snapshotDir: null, revision: null, note: 'no snapshot in the cache (nothing was downloaded)' }
  const newest = available
    .map((name) => ({ name, time: fs.statSync(path.join(snapshots, name)).mtimeMs }))
    .sort((a, b) => b.time - a.time)[0] as { name: string }
  const note = ref ? `refs/main names ${ref.slice(0, 12)}, which is not in snapshots/; using ${newest.name.slice(0, 12)}` : `no refs/main; using snapshot ${newest.name.slice(0, 12)}`
  return { id, repoDir, snapshotDir: path.join(snapshots, newest.name), revision: newest.name, note }
}

/** The commit refs/main names; null when there is none or it is not a small regular file (a FIFO would block). */
function readRef(refFile: string): string | null {
  try {
    return readRegularTextFile(refFile, modelFileLimits.ref).trim() || null
  } catch {
    return null
  }
}

/** Every model repo in a hub cache folder (datasets and spaces are skipped). */
export function listCachedRepos(cacheDir: string): CachedRepo[] {
  if (!fs.existsSync(cacheDir)) return []
  return fs
    .readdirSync(cacheDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('models--'))
    .map((entry) => locateSnapshot(path.join(cacheDir, entry.name), repoIdFromFolder(entry.name) as string))
    .sort((a, b) => a.id.localeCompare(b.id))
}

export function findCachedRepo(cacheDir: string, id: string): CachedRepo | null {
  const repoDir = path.join(cacheDir, repoFolderName(id))
  if (!fs.existsSync(repoDir)) return null
  return locateSnapshot(repoDir, id)
}

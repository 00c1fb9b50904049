/**
 * "The user's folders": where LocalTune reads and writes without asking. Anything else (system
 * folders such as /etc or C:\Windows, another program's install) is read or written only after
 * the user confirmed that exact path, because a contract call can come from a script or a page
 * that should not be able to make LocalTune install code from, or write into, such a place.
 *
 * Pure: the core resolves symlinks (realpath of the nearest existing ancestor) before asking,
 * and passes the folders it knows (home, LOCALTUNE_HOME, the Hugging Face cache, the temp folder)
 * already resolved. `..` and `.` are folded here as well, so an unresolved path cannot escape.
 */

export interface UserFolderFacts {
  platform: 'posix' | 'win32'
  /** The user's home directory. */
  home: string
  /** LOCALTUNE_HOME (or the default app-data folder). */
  localtuneHome: string
  /** HF_HOME, HF_HUB_CACHE and the hub cache actually used. */
  huggingFaceFolders: readonly string[]
  /** The OS temp folder. */
  tempDir: string
  /** Windows: the drive Windows is on, e.g. "C:"; other drives count as the user's (USB disks, data drives). */
  systemDrive?: string
  /**
   * Folders LocalTune reads from without asking but never writes into without asking: its own
   * install folder (the demo's sample CSV ships there; reading it shows nothing that is not
   * already in every copy of the app, while a write there would change the app itself).
   */
  readOnlyFolders?: readonly string[]
}

/** Where removable media and extra disks are mounted on Linux and macOS. */
export const removableMediaRoots = ['/media', '/mnt', '/run/media', '/Volumes'] as const

/** Folds `.`, `..` and repeated separators; on Windows also `/` into `\` and the case. Absolute paths only. */
export function foldPath(absolute: string, platform: UserFolderFacts['platform']): string {
  const windows = platform === 'win32'
  const text = windows ? absolute.replaceAll('/', '\\') : absolute
  const separator = windows ? '\\' : '/'
  const driveMatch = windows ? /^([A-Za-z]:)/.exec(text) : null
  const root = driveMatch?.[1]?.toUpperCase() ?? ''
  const parts: string[] = []
  for (const part of text.slice(root.length).split(separator)) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(windows ? part.toLowerCase() : part)
  }
  return `${root}${separator}${parts.join(separator)}`
}

/** The folders inside which a path counts as the user's, folded (see foldPath). */
export function userFolders(facts: UserFolderFacts): string[] {
  const named = [facts.home, facts.localtuneHome, ...facts.huggingFaceFolders, facts.tempDir].filter((folder) => folder.trim() !== '')
  const media = facts.platform === 'win32' ? [] : [...removableMediaRoots]
  return [...named, ...media].map((folder) => foldPath(folder, facts.platform))
}

function within(folded: string, folder: string, separator: string): boolean {
  if (folded === folder) return true
  return folded.startsWith(folder.endsWith(separator) ? folder : `${folder}${separator}`)
}

/** Whether an absolute path is one of `folders` or inside one (all folded the same way first). */
export function isWithinFolders(absolutePath: string, folders: readonly string[], platform: UserFolderFacts['platform']): boolean {
  const folded = foldPath(absolutePath, platform)
  const separator = platform === 'win32' ? '\\' : '/'
  return folders.filter((folder) => folder.trim() !== '').some((folder) => within(folded, foldPath(folder, platform), separator))
}

/** What LocalTune would do at a path: read a source from it, or write a result into it. */
export type OutsidePathUse = 'read from' | 'write into'

/**
 * Whether LocalTune may `use` an absolute path (symlinks already resolved by the caller) without
 * asking: it lies in one of the user's folders, or it is read from a read-only folder (its
 * install folder), and a write is never into a read-only folder (unless into LOCALTUNE_HOME there).
 * On Windows every drive other than the system drive counts as the user's; on
 * the system drive only the named folders do (so C:\Windows and C:\Program Files do not).
 * Without `use` the stricter answer (writing) is given.
 */
export function isInsideUserFolders(absolutePath: string, facts: UserFolderFacts, use: OutsidePathUse = 'write into'): boolean {
  const folded = foldPath(absolutePath, facts.platform)
  if (facts.platform === 'win32') {
    const drive = folded.slice(0, 2)
    const systemDrive = (facts.systemDrive ?? 'C:').toUpperCase()
    if (/^[A-Z]:$/.test(drive) && drive !== systemDrive) return true
  }
  const inReadOnly = isWithinFolders(absolutePath, facts.readOnlyFolders ?? [], facts.platform)
  if (use === 'read from' && inReadOnly) return true
  // A write into LocalTune's own folder asks even when that folder sits in one of the user's (a
  // checkout in the home folder, a copy in /tmp); only LOCALTUNE_HOME inside it is the user's.
  if (inReadOnly && !isWithinFolders(absolutePath, [facts.localtuneHome], facts.platform)) return false
  return isWithinFolders(absolutePath, userFolders(facts), facts.platform)
}

export interface OutsidePath {
  /** The request field that names the path, e.g. "options.outDir". */
  field: string
  use: OutsidePathUse
  path: string
  /** What the path is for, in the user's words ("the CSV file to import"), so the question can say it. */
  what?: string
}

/**
 * How the core names a refused path in an error's details ("<field> (<what>): <use> <path>"),
 * and how the page reads it back to ask the user and resend the path in `confirmedPaths`. The
 * path comes last and is taken whole, so any character in it survives.
 */
export function outsidePathDetail(outside: OutsidePath): string {
  const what = outside.what ? ` (${outside.what.replaceAll(')', ']').replaceAll('(', '[')})` : ''
  return `${outside.field}${what}: ${outside.use} ${outside.path}`
}

export function parseOutsidePathDetail(detail: string): OutsidePath | null {
  const match = /^([^:\s()]+)(?: \(([^()]*)\))?: (read from|write into) (.+)$/s.exec(detail)
  if (!match?.[1] || !match[4]) return null
  return { field: match[1], use: match[3] as OutsidePathUse, path: match[4], ...(match[2] ? { what: match[2] } : {}) }
}

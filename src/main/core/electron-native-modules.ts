import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/**
 * The native modules the desktop app needs inside Electron, kept apart from the ones the CLI and
 * browser mode load under Node, so both work side by side.
 *
 * - node-pty (1.x) is built on Node-API, whose ABI is the same in Node and Electron: the one
 *   build in node_modules loads in both, and nothing is done for it.
 * - better-sqlite3 uses V8's own API, so Electron needs a build for its ABI. That build lives in
 *   its own folder (`electronSqliteBindingPath`) and the Electron host opens the database with
 *   better-sqlite3's `nativeBinding` option pointing there. node_modules/better-sqlite3 (the
 *   CLI's build) is never written to: the Electron build is made in a copy of the package and
 *   only its finished, verified .node file is moved into place, so a start killed half way
 *   leaves nothing broken, and once made it serves every later start offline.
 *
 * Making it needs a download once: better-sqlite3's prebuilt binary for this Electron, or else
 * Electron's headers for a build from source.
 */

const bindingFile = 'better_sqlite3.node'

/** Where the Electron builds of native modules live: a cache of the install, never shipped data. */
export function electronNativeCacheDir(appRoot: string): string {
  return path.join(appRoot, 'node_modules', '.cache', 'localtune', 'electron-native')
}

function betterSqliteDir(appRoot: string): string {
  return path.join(appRoot, 'node_modules', 'better-sqlite3')
}

function betterSqliteVersion(appRoot: string): string {
  return (JSON.parse(fs.readFileSync(path.join(betterSqliteDir(appRoot), 'package.json'), 'utf8')) as { version: string }).version
}

/**
 * The better-sqlite3 binary for one Electron version, platform and architecture, and for the
 * installed better-sqlite3 version (a new better-sqlite3 needs a new build).
 */
export function electronSqliteBindingPath(appRoot: string, electronVersion: string, cacheDir = electronNativeCacheDir(appRoot)): string {
  const key = `electron-${electronVersion}-${process.platform}-${process.arch}-better-sqlite3-${betterSqliteVersion(appRoot)}`
  return path.join(cacheDir, key, bindingFile)
}

/** The Electron build of better-sqlite3 when it has been made, else null. */
export function findElectronSqliteBinding(appRoot: string, electronVersion: string, cacheDir = electronNativeCacheDir(appRoot)): string | null {
  const file = electronSqliteBindingPath(appRoot, electronVersion, cacheDir)
  return fs.existsSync(file) ? file : null
}

export interface PrepareOptions {
  appRoot: string
  electronVersion: string
  /** The Electron executable: the finished build is loaded in it (as Node) before it is kept. */
  electronExecutable: string
  cacheDir?: string
  /** The environment of the download and build tools (proxies, mirrors). */
  env?: NodeJS.ProcessEnv
  /** Said before each slow step. */
  say?: (message: string) => void
}

export type PrepareResult = { ok: true; binding: string; made: boolean } | { ok: false; reason: string }

/**
 * Makes sure the Electron build of better-sqlite3 exists and loads in `electronExecutable`,
 * making it if needed (see the module comment for where and how).
 */
export function prepareElectronSqliteBinding(options: PrepareOptions): PrepareResult {
  const { appRoot, electronVersion, electronExecutable } = options
  const cacheDir = options.cacheDir ?? electronNativeCacheDir(appRoot)
  const env = options.env ?? process.env
  const target = electronSqliteBindingPath(appRoot, electronVersion, cacheDir)
  if (fs.existsSync(target)) {
    const loads = loadsInElectron(appRoot, electronExecutable, target, env)
    if (loads.ok) return { ok: true, binding: target, made: false }
    // A damaged or foreign file: made again below.
    fs.rmSync(target, { force: true })
  }

  fs.mkdirSync(cacheDir, { recursive: true })
  removeAbandonedStaging(cacheDir)
  const staging = path.join(cacheDir, `staging-${process.pid}`)
  fs.rmSync(staging, { recursive: true, force: true })
  try {
    const packageCopy = path.join(staging, 'better-sqlite3')
    // Sources only: the CLI's build/ folder stays where it is, untouched.
    fs.cpSync(betterSqliteDir(appRoot), packageCopy, { recursive: true, filter: (source) => path.relative(betterSqliteDir(appRoot), source) !== 'build' })
    options.say?.(`Making better-sqlite3 for Electron ${electronVersion} in ${path.dirname(target)} (once per Electron version; needs a download)…`)
    const built = buildForElectron(appRoot, packageCopy, electronVersion, env)
    if (!built.ok) return built
    const loads = loadsInElectron(appRoot, electronExecutable, built.file, env)
    if (!loads.ok) return { ok: false, reason: `The better-sqlite3 build for Electron ${electronVersion} does not load in it: ${loads.reason}` }
    fs.mkdirSync(path.dirname(target), { recursive: true })
    // Copied next to its final name, then renamed: the final name only ever holds a whole file.
    const partial = `${target}.partial-${process.pid}`
    fs.copyFileSync(built.file, partial)
    fs.renameSync(partial, target)
    return { ok: true, binding: target, made: true }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true })
  }
}

/** Staging folders of starts that were killed while making a build (their pid is gone). */
function removeAbandonedStaging(cacheDir: string): void {
  for (const name of fs.readdirSync(cacheDir)) {
    const pid = Number(/^staging-(\d+)$/.exec(name)?.[1])
    if (!pid || pid === process.pid || processAlive(pid)) continue
    fs.rmSync(path.join(cacheDir, name), { recursive: true, force: true })
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function tail(text: string): string {
  const lines = text.trim().split('\n').filter((line) => line.trim() !== '')
  return lines.slice(-3).join(' | ').slice(0, 600)
}

/** npm's own node-gyp: npm sets npm_config_node_gyp for scripts; otherwise the copy beside npm. */
function nodeGypScript(env: NodeJS.ProcessEnv): string | null {
  const candidates = [
    env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  ]
  return candidates.find((file): file is string => Boolean(file) && fs.existsSync(file as string)) ?? null
}

/**
 * better-sqlite3's own install steps, aimed at Electron: its prebuilt binary for this Electron
 * (prebuild-install), else a build from source against Electron's headers (node-gyp).
 */
function buildForElectron(appRoot: string, packageCopy: string, electronVersion: string, env: NodeJS.ProcessEnv): { ok: true; file: string } | { ok: false; reason: string } {
  const file = path.join(packageCopy, 'build', 'Release', bindingFile)
  const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: packageCopy, env, encoding: 'utf8', timeout: 15 * 60_000 })
  const prebuilt = run([path.join(appRoot, 'node_modules', 'prebuild-install', 'bin.js'), '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch, '--platform', process.platform])
  if (prebuilt.status === 0 && fs.existsSync(file)) return { ok: true, file }
  const nodeGyp = nodeGypScript(env)
  if (!nodeGyp) {
    return { ok: false, reason: `No prebuilt better-sqlite3 for Electron ${electronVersion} could be downloaded (${tail(prebuilt.stderr ?? '')}), and node-gyp (npm's) was not found to build one.` }
  }
  // A nodedir from npm's config (`npm_config_nodedir`, set for every npm/npx child) would build
  // against Node's headers: the wrong ABI for Electron.
  const { npm_config_nodedir: _nodeHeaders, ...electronEnv } = env
  const fromSource = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release', '--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'], {
    cwd: packageCopy,
    env: electronEnv,
    encoding: 'utf8',
    timeout: 15 * 60_000
  })
  if (fromSource.status === 0 && fs.existsSync(file)) return { ok: true, file }
  return {
    ok: false,
    reason:
      `better-sqlite3 could not be made for Electron ${electronVersion}: no prebuilt binary could be downloaded and the build from source failed ` +
      `(${tail(fromSource.stderr ?? '') || `exit ${fromSource.status}`}). It needs the network once (or Electron's headers in node-gyp's cache).`
  }
}

/** Loads better-sqlite3 (with `binding`) and node-pty inside Electron, run as Node. */
function loadsInElectron(appRoot: string, electronExecutable: string, binding: string, env: NodeJS.ProcessEnv): { ok: true } | { ok: false; reason: string } {
  const modules = path.join(appRoot, 'node_modules')
  const script = [
    `const Database = require(${JSON.stringify(path.join(modules, 'better-sqlite3'))})`,
    `new Database(':memory:', { nativeBinding: ${JSON.stringify(binding)} }).close()`,
    `require(${JSON.stringify(path.join(modules, 'node-pty'))})`
  ].join(';')
  const result = spawnSync(electronExecutable, ['-e', script], { cwd: appRoot, env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8', timeout: 60_000 })
  return result.status === 0 ? { ok: true } : { ok: false, reason: tail(result.stderr ?? '') || `exit ${result.status}` }
}

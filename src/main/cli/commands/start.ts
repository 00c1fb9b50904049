import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { findAppRoot } from '../../core/app-root'
import { electronBinaryStatus } from '../../core/electron-binary'
import type { CliCommand, CliContext, CliIo } from '../command'
import { serveCommand } from './serve'

const nativeModules = ['better-sqlite3', 'node-pty']

function hasDisplay(env: NodeJS.ProcessEnv): boolean {
  return process.platform !== 'linux' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
}

/** Electron 42+ downloads its binary on first use; offline that fails, and we say so. */
function tryFetchElectron(appRoot: string, io: CliIo): boolean {
  const installer = path.join(appRoot, 'node_modules', 'electron', 'install.js')
  io.err('Fetching the Electron binary (first start)…')
  const result = spawnSync(process.execPath, [installer], { cwd: path.dirname(installer), stdio: 'ignore', timeout: 120_000 })
  return result.status === 0 && electronBinaryStatus(appRoot).binaryPresent
}

/** Whether the native modules load inside Electron (its ABI differs from Node's). */
function nativeModulesLoadInElectron(executable: string, appRoot: string): boolean {
  const script = nativeModules.map((name) => `require(${JSON.stringify(name)})`).join(';')
  const result = spawnSync(executable, ['-e', script], { cwd: appRoot, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: 'ignore', timeout: 60_000 })
  return result.status === 0
}

function rebuildNative(appRoot: string, electronVersion: string | null): boolean {
  const args = ['rebuild', ...nativeModules]
  if (electronVersion) args.push('--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers')
  const result = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd: appRoot, stdio: 'ignore', timeout: 600_000 })
  return result.status === 0
}

async function fallBackToBrowser(reason: string, io: CliIo, ctx: CliContext): Promise<number> {
  io.err(`${reason} Starting browser mode instead.`)
  return serveCommand.run([], io, ctx)
}

export const startCommand: CliCommand = {
  name: 'start',
  summary: 'Open the LocalTune desktop app (or browser mode where Electron cannot start)',
  usage: 'localtune start\n\nOpens the Electron app. Without an Electron binary or a display, starts `localtune serve` and prints its URL.',
  async run(_args, io, ctx) {
    const appRoot = findAppRoot()
    let electron = electronBinaryStatus(appRoot)
    if (!electron.version) return fallBackToBrowser('Electron is not installed (node_modules/electron is missing).', io, ctx)
    if (!hasDisplay(ctx.env)) return fallBackToBrowser('No display is available for a desktop window (DISPLAY is not set).', io, ctx)
    if (!electron.binaryPresent && !tryFetchElectron(appRoot, io)) {
      return fallBackToBrowser(`The Electron ${electron.version} binary could not be downloaded (offline?).`, io, ctx)
    }
    electron = electronBinaryStatus(appRoot)
    const executable = electron.executable
    if (!executable) return fallBackToBrowser('The Electron binary is missing after download.', io, ctx)

    let rebuiltForElectron = false
    if (!nativeModulesLoadInElectron(executable, appRoot)) {
      io.err(`Rebuilding ${nativeModules.join(' and ')} for Electron ${electron.version}…`)
      if (!rebuildNative(appRoot, electron.version) || !nativeModulesLoadInElectron(executable, appRoot)) {
        // Leave the Node build in place so the CLI and browser mode keep working.
        rebuildNative(appRoot, null)
        return fallBackToBrowser(`${nativeModules.join(' and ')} could not be rebuilt for Electron (its headers need a download; offline?).`, io, ctx)
      }
      rebuiltForElectron = true
    }

    const child = spawn(executable, [path.join(appRoot, 'out', 'main', 'electron-main.js')], { cwd: appRoot, env: ctx.env, stdio: 'inherit' })
    const code = await new Promise<number>((resolve) => child.once('exit', (exitCode) => resolve(exitCode ?? 1)))
    if (rebuiltForElectron) {
      // The CLI and browser host run on Node: give them back a build for Node's ABI.
      io.err('Restoring the native modules for Node…')
      rebuildNative(appRoot, null)
    }
    return code
  }
}

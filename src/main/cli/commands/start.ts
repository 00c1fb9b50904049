import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { findAppRoot } from '../../core/app-root'
import { electronBinaryStatus } from '../../core/electron-binary'
import { prepareElectronSqliteBinding } from '../../core/electron-native-modules'
import type { CliCommand, CliContext, CliIo } from '../command'
import { serveCommand } from './serve'

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
    if (!executable || !electron.version) return fallBackToBrowser('The Electron binary is missing after download.', io, ctx)

    // Electron's own build of better-sqlite3, in its own folder: node_modules (the CLI's and
    // browser mode's build) is never touched, so both keep working while the app runs.
    const prepared = prepareElectronSqliteBinding({ appRoot, electronVersion: electron.version, electronExecutable: executable, env: ctx.env, say: io.err })
    if (!prepared.ok) return fallBackToBrowser(`${prepared.reason}`, io, ctx)

    const child = spawn(executable, [path.join(appRoot, 'out', 'main', 'electron-main.js')], { cwd: appRoot, env: ctx.env, stdio: 'inherit' })
    return new Promise<number>((resolve) => child.once('exit', (exitCode) => resolve(exitCode ?? 1)))
  }
}

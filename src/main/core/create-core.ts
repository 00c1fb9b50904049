import path from 'node:path'
import type { ContractHandlers, PythonRuntimeStatus } from '../../shared/contract'
import { findAppRoot, pythonRuntimeDir } from './app-root'
import { datasetsHandlers } from './datasets/datasets-handlers'
import { electronBinaryStatus } from './electron-binary'
import { EstimateVerifier } from './estimate-verify/estimate-verifier'
import { verifyHandlers } from './estimate-verify/verify-handlers'
import { ExportService } from './exports/export-service'
import { exportsHandlers } from './exports/exports-handlers'
import { EventHub } from './event-hub'
import { hardwareService, type HardwareServiceOptions } from './hardware/hardware-handlers'
import { createModelFolderRepository } from './models/model-folder-repository'
import { modelsHandlers } from './models/models-handlers'
import { modelTransferHandlers } from './models/model-transfer-handlers'
import { checkingOutsidePaths } from './outside-path-check'
import { hostHandlers, type DesktopHost } from './host/desktop-host'
import { tokensHandlers } from './tokens/tokens-handlers'
import type { HardwareSnapshot } from '../../shared/hardware/types'
import { projectsHandlers } from './projects/projects-handlers'
import { ensureHome, resolveHome } from './home'
import { RunSupervisor, type RunSupervisorOptions } from './runs/run-supervisor'
import { runsHandlers } from './runs/runs-handlers'
import { discoverPythonRuntime } from './runtime/python-discovery'
import { setUpRuntime } from './runtime/runtime-setup'
import { runtimeFolderInstallHandler } from './runtime/runtime-folder-install-handler'
import { databaseStatus, openDatabase, type LocalTuneDatabase } from './store/database'
import { buildDoctorReport, runtimeMissing, type GpuFacts } from './system/doctor'
import { askPackageIndex, PackageIndexCheck } from './system/package-index-check'

export interface CoreOptions {
  env?: NodeJS.ProcessEnv
  home?: string
  /** Stop timeout and push pacing of training runs (tests shorten them). */
  runs?: RunSupervisorOptions
  /** GPU detection and live memory polling (tests pass fakes and short leases). */
  hardware?: Pick<HardwareServiceOptions, 'detect' | 'lease' | 'maxAgeMs' | 'pythonRuntime'>
  /** The folder picker and file manager of a desktop host (Electron); without it the core says it has neither. */
  desktop?: DesktopHost
  /** The better-sqlite3 binary built for the host's ABI (Electron's); default: the one in node_modules. */
  sqliteNativeBinding?: string
}

export interface Core {
  home: string
  appRoot: string
  runtimeDir: string
  env: NodeJS.ProcessEnv
  db: LocalTuneDatabase
  events: EventHub
  handlers: ContractHandlers
  /** Training runs: queue, supervision, history, results. */
  runs: RunSupervisor
  pythonRuntime(refresh?: boolean): Promise<PythonRuntimeStatus>
  /**
   * Closes the database and stops watching runs. Runs still training are asked to stop; a host
   * that can wait for them to save calls `await runs.stopAll()` first.
   */
  close(): void
}

/** The doctor's GPU line from the hardware snapshot (nvidia-smi, else systeminformation). */
function gpuFactsFromSnapshot(snapshot: HardwareSnapshot): GpuFacts {
  return {
    status: snapshot.gpus.length > 0 ? 'ok' : snapshot.gpuStatus.code === 'no-nvidia-gpu' ? 'none' : 'error',
    message: snapshot.gpuStatus.message,
    gpus: snapshot.gpus.map((gpu) => ({ index: gpu.index, name: gpu.name, memoryTotalBytes: gpu.memoryTotalBytes, memoryFreeBytes: gpu.memoryFreeBytes })),
    fix: snapshot.gpuStatus.action
  }
}

/**
 * The one core behind every host (Electron, browser, CLI): opens the home folder and the
 * database, and answers every contract channel. Hosts add transport, nothing else.
 */
export function createCore(options: CoreOptions = {}): Core {
  const env = options.env ?? process.env
  const home = ensureHome(options.home ?? resolveHome(env))
  const appRoot = findAppRoot()
  const runtimeDir = pythonRuntimeDir(env)
  const db = openDatabase(home, undefined, { nativeBinding: options.sqliteNativeBinding })
  const events = new EventHub()
  let runtime: Promise<PythonRuntimeStatus> | null = null

  const pythonRuntime = (refresh = false): Promise<PythonRuntimeStatus> => {
    if (!runtime || refresh) runtime = discoverPythonRuntime({ env, home, runtimeDir })
    return runtime
  }

  // Created with the core so its recovery runs at every start: runs a crashed LocalTune left
  // behind are marked before anyone lists them.
  const runs = new RunSupervisor({ home, appRoot, db, events, env, runtimeDir, pythonRuntime }, options.runs)
  const exports = new ExportService({ home, env, runtimeDir, db, events, pythonRuntime: () => pythonRuntime() })
  const verifier = new EstimateVerifier({ env, runtimeDir, events, pythonRuntime: () => pythonRuntime() })
  const machine = hardwareService({ env, events, pythonRuntime: () => pythonRuntime(), ...options.hardware })

  const models = modelsHandlers({ db, env })
  const desktop = options.desktop ?? null
  // Asked with the Python the set-up would use; only ever started when no runtime is found.
  const packageIndex = new PackageIndexCheck(async () => askPackageIndex({ python: (await pythonRuntime()).executable ?? 'python3', env }))

  const everyHandler: ContractHandlers = {
    'system.doctor': async ({ refresh, waitForPackageIndex }) => {
      const [python, hardware] = await Promise.all([pythonRuntime(refresh), machine.snapshot(refresh)])
      return buildDoctorReport({
        home,
        database: databaseStatus(db),
        electron: electronBinaryStatus(appRoot),
        python,
        gpus: gpuFactsFromSnapshot(hardware),
        packageIndex: !runtimeMissing(python) ? null : waitForPackageIndex ? await packageIndex.answer() : packageIndex.now()
      })
    },
    'system.package-index': async () => (runtimeMissing(await pythonRuntime()) ? packageIndex.answer() : null),
    'runtime.setup': async ({ flavour, wheelhouse, systemSitePackages }) => {
      const current = await pythonRuntime()
      const result = await setUpRuntime({
        basePython: current.executable ?? 'python3',
        runtimeDir,
        venvDir: path.join(home, 'runtime', 'venv'),
        flavour,
        wheelhouse,
        systemSitePackages,
        env,
        onOutput: (text) => events.publish('runtime.setup-output', { text })
      })
      await pythonRuntime(true)
      return result
    },
    ...runtimeFolderInstallHandler({
      env,
      home,
      runtimeDir,
      events,
      basePython: async () => (await pythonRuntime()).executable ?? 'python3',
      runtimeChanged: async () => {
        await pythonRuntime(true)
      }
    }),
    ...runsHandlers(runs, desktop),
    ...datasetsHandlers({ home, db, events }),
    ...projectsHandlers({ home, db, runs }),
    ...machine.handlers,
    ...models,
    ...modelTransferHandlers({ env, events, catalog: () => models['models.list']({}) }),
    ...tokensHandlers({ home, env }),
    ...verifyHandlers(verifier, db),
    ...exportsHandlers(exports),
    ...hostHandlers(desktop)
  }
  // Paths outside the user's folders only with the user's confirmation, on every channel that takes one.
  // The install folder is read without asking (the demo's CSV), and a model in a folder of models
  // the user added is not asked about again (adding the folder asked, when it was outside).
  const modelFolders = createModelFolderRepository(db)
  const handlers = checkingOutsidePaths(everyHandler, env, home, { installFolder: appRoot, modelFolders: modelFolders.list })

  return {
    home,
    appRoot,
    runtimeDir,
    env,
    db,
    events,
    handlers,
    runs,
    pythonRuntime,
    close: () => {
      void machine.close()
      exports.close()
      verifier.close()
      runs.close()
      db.close()
    }
  }
}

export function defaultRendererDir(appRoot: string): string {
  return path.join(appRoot, 'out', 'renderer')
}

import path from 'node:path'
import type { ContractHandlers } from '../../../shared/contract'
import type { EventHub } from '../event-hub'
import { normaliseFolderPath } from '../models/models-handlers'
import { UserFacingError } from '../user-facing-error'
import { hasNvidiaSmi } from './nvidia-driver'
import { installRuntimeFromFolder } from './runtime-install'

export interface RuntimeFolderInstallDeps {
  env: NodeJS.ProcessEnv
  home: string
  runtimeDir: string
  events: EventHub
  /** The Python that creates the venv: the runtime found now, else python3 on PATH. */
  basePython(): Promise<string>
  /** Discovery again, so every screen sees the new runtime. */
  runtimeChanged(): Promise<void>
}

/**
 * The set-up panel's "Install from a folder or USB disk": the same install as `localtune runtime
 * install --from DIR --in-home` (runtime-install.ts: the folder is checked against this machine
 * and its manifest before anything is touched, pip consults no index), with its output pushed as
 * runtime.setup-output so the panel shows progress. One install at a time: two would build the
 * same venv.
 */
export function runtimeFolderInstallHandler(deps: RuntimeFolderInstallDeps): Pick<ContractHandlers, 'runtime.install-from-folder'> {
  let installing: string | null = null
  return {
    'runtime.install-from-folder': async ({ folder: raw }) => {
      const folder = normaliseFolderPath(raw)
      if (installing) throw new UserFacingError(`The runtime is already being installed from ${installing}; wait for it to finish.`, { code: 'conflict' })
      installing = folder
      try {
        const venvDir = path.join(deps.home, 'runtime', 'venv')
        deps.events.publish('runtime.setup-output', { text: `Installing the runtime from ${folder} into ${venvDir}, with no package index.\n` })
        const result = await installRuntimeFromFolder({
          from: folder,
          basePython: await deps.basePython(),
          runtimeDir: deps.runtimeDir,
          venvDir,
          hasNvidiaGpu: hasNvidiaSmi(deps.env),
          env: deps.env,
          onOutput: (text) => deps.events.publish('runtime.setup-output', { text })
        })
        // A refusal touched nothing; any other outcome may have changed the runtime on disk.
        if (result.python) await deps.runtimeChanged()
        return { ok: result.ok, problem: result.problem, python: result.python, capabilities: result.capabilities, seconds: result.seconds }
      } finally {
        installing = null
      }
    }
  }
}

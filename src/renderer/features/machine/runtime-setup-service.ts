import { invoke, subscribe } from '../../api/client'
import { sendAllowingOutsidePaths } from '../../app/outside-path-confirmation'
import { runtimeSetupActions } from '../../stores/runtime-setup-store'
import { machineCheckRequested } from '../../stores/machine-store'

/** Pushes the core's set-up output (pip, checks) into the store while `work` runs. */
async function withSetupOutput(work: () => Promise<void>): Promise<void> {
  const actions = runtimeSetupActions()
  const unsubscribe = subscribe((event, payload) => {
    if (event === 'runtime.setup-output') actions.setupOutputReceived((payload as { text: string }).text)
  })
  try {
    await work()
  } finally {
    unsubscribe()
    await machineCheckRequested(true)
  }
}

/** Runs the runtime set-up in the core, streaming its output into the store. */
export async function setUpRuntime(request: { flavour: 'cuda' | 'cpu'; wheelhouse: string | null; systemSitePackages: boolean }): Promise<void> {
  const actions = runtimeSetupActions()
  actions.setupStarted()
  await withSetupOutput(async () => {
    try {
      const result = await sendAllowingOutsidePaths((confirmedPaths) => invoke('runtime.setup', { ...request, confirmedPaths }))
      actions.setupFinished({ ok: result.ok, problem: result.problem })
    } catch (error) {
      actions.setupFinished({ ok: false, problem: (error as Error).message })
    }
  })
}

/** Installs the runtime from a folder made by `localtune runtime pack` (no package index), with live output. */
export async function installRuntimeFromFolder(folder: string): Promise<void> {
  const actions = runtimeSetupActions()
  if (folder.trim() === '') {
    actions.folderInstallFinished({ ok: false, problem: 'Runtime pack folder: give the full path of the folder made by `localtune runtime pack` (e.g. on a USB disk).', capabilities: null, seconds: 0 })
    return
  }
  actions.folderInstallStarted()
  await withSetupOutput(async () => {
    try {
      const result = await sendAllowingOutsidePaths((confirmedPaths) => invoke('runtime.install-from-folder', { folder, confirmedPaths }))
      actions.folderInstallFinished({ ok: result.ok, problem: result.problem, capabilities: result.capabilities, seconds: result.seconds })
    } catch (error) {
      actions.folderInstallFinished({ ok: false, problem: (error as Error).message, capabilities: null, seconds: 0 })
    }
  })
}

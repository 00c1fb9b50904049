import { invoke, subscribe } from '../../api/client'
import { runtimeSetupActions } from '../../stores/runtime-setup-store'
import { machineCheckRequested } from '../../stores/machine-store'

/** Runs the runtime set-up in the core, streaming its output into the store. */
export async function setUpRuntime(request: { flavour: 'cuda' | 'cpu'; wheelhouse: string | null; systemSitePackages: boolean }): Promise<void> {
  const actions = runtimeSetupActions()
  actions.setupStarted()
  const unsubscribe = subscribe((event, payload) => {
    if (event === 'runtime.setup-output') actions.setupOutputReceived((payload as { text: string }).text)
  })
  try {
    const result = await invoke('runtime.setup', request)
    actions.setupFinished({ ok: result.ok, problem: result.problem })
  } catch (error) {
    actions.setupFinished({ ok: false, problem: (error as Error).message })
  } finally {
    unsubscribe()
    await machineCheckRequested(true)
  }
}

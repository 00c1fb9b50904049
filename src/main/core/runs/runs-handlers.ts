import type { ContractHandlers } from '../../../shared/contract'
import type { runsChannels } from '../../../shared/contract/runs'
import { openFolderWith, type DesktopHost } from '../host/desktop-host'
import { refuseUnconfirmedRiskySettings } from '../risky-settings-check'
import type { RunSupervisor } from './run-supervisor'

export type RunsHandlers = Pick<ContractHandlers, keyof typeof runsChannels>

/** The `runs.*` channels, answered by one supervisor. Validation happens in contract dispatch. */
export function runsHandlers(runs: RunSupervisor, desktop: DesktopHost | null = null): RunsHandlers {
  return {
    'runs.start-demo': async ({ maxSteps }) => runs.startDemoRun({ maxSteps }),
    'runs.demo-plan': async () => runs.demoPlan(),
    // Only a desktop host can open a file manager (host.capabilities says whether this one can).
    // The path comes from the run's row, never from the renderer.
    'runs.open-folder': async ({ runId }) => openFolderWith(desktop, runs.folderToShow(runId)),
    'runs.start': async (request) => {
      refuseUnconfirmedRiskySettings(request.settings.model, request.confirmedRisks)
      return runs.startRun({
        projectId: request.projectId,
        settings: request.settings,
        trainJsonl: request.trainJsonl,
        validJsonl: request.validJsonl,
        device: request.device,
        datasetLabel: request.datasetLabel
      })
    },
    'runs.stop': async ({ runId, force }) => runs.stopRun(runId, { force }),
    'runs.resume': async ({ runId }) => runs.resumeRun(runId),
    'runs.run-again': async ({ runId, paramsPatch, method, device, merge }) =>
      runs.runAgainWithChanges(runId, paramsPatch, { ...(method ? { method } : {}), ...(device ? { device } : {}), ...(merge !== undefined ? { merge } : {}) }),
    'runs.list': async ({ projectId }) => ({ runs: runs.listRuns({ projectId }) }),
    'runs.projects': async () => ({ projects: runs.listProjectsWithRuns() }),
    'runs.get': async ({ runId }) => runs.getRun(runId),
    'runs.metrics': async ({ runId, kind, sinceStep }) => runs.getRunMetrics(runId, { kind, sinceStep }),
    'runs.compare': async ({ a, b }) => runs.compareRuns(a, b),
    'runs.delete': async ({ runId }) => {
      runs.deleteRun(runId)
      return { deleted: true as const }
    },
    'runs.results': async ({ runId }) => runs.runResults(runId),
    'runs.generate': async ({ runId, input, models, maxNewTokens, temperature, requestId }) => runs.generate(runId, { input, models, maxNewTokens, temperature, requestId }),
    'runs.resize-terminal': async ({ runId, cols, rows }) => ({ resized: runs.resizeTerminal(runId, cols, rows) }),
    'runs.output-tail': async ({ runId, maxBytes }) => runs.outputTail(runId, maxBytes)
  }
}

import type { Project } from '../../../shared/contract'
import { ContractCallError, invoke } from '../../api/client'
import { datasetDraftNow, exportRequestNow } from '../../stores/dataset-draft-store'
import { hardwareNow } from '../../stores/hardware-store'
import { chosenModelNow } from '../../stores/model-choice-store'
import { parametersNow } from '../../stores/parameters-store'
import { confirmedRisksNow } from '../../stores/risky-model-settings-store'
import { defaultProjectName, projectCreationActions, projectCreationNow } from '../../stores/project-creation-store'
import { runStarted } from '../train/live-run-service'
import type { ReadyEstimate } from './estimate-view'
import { estimateVerificationNow, measuredFor } from '../../stores/estimate-verification-store'
import { gateOpen, verifiedEstimateOf } from './verified-estimate'
import { runDeviceChoice } from './gpu-set'
import { sendAllowingOutsidePaths } from '../../app/outside-path-confirmation'

function messageOf(error: unknown): { message: string; details: string[] } {
  if (error instanceof ContractCallError) return { message: error.message, details: error.details }
  return { message: error instanceof Error ? error.message : String(error), details: [] }
}

/**
 * Saves the project through projects.create with the estimate exactly as shown and the
 * hardware snapshot it was judged against; with `train`, starts its run and opens Train.
 */
export async function projectCreationRequested(view: ReadyEstimate, options: { train: boolean; riskAcceptedFor: string | null; mode: 'auto' | 'manual' }): Promise<void> {
  const actions = projectCreationActions()
  if (projectCreationNow().creation.status === 'creating') return
  const data = exportRequestNow()
  const model = chosenModelNow()
  const snapshot = hardwareNow().snapshot
  const dataset = datasetDraftNow().dataset
  if (!data || !model || !snapshot) {
    actions.creationFailed('The project cannot be created yet: finish the Data step and choose a model first.', [])
    return
  }
  const measured = measuredFor(estimateVerificationNow(), view.signature)
  if (!gateOpen(view, options.riskAcceptedFor, measured)) {
    actions.creationFailed(view.blocker ?? 'The estimate says this may not fit: change the parameters, or tick "I accept the risk that it may run out of memory".', ['estimate.riskAccepted'])
    return
  }
  const name = (projectCreationNow().name ?? defaultProjectName(dataset?.fileName ?? null)).trim()
  if (name === '') {
    actions.creationFailed('Project name: give the project a name.', ['name'])
    return
  }
  actions.creationStarted(options.train)
  // Confirmed in a dialog that said the risk (risky-model-settings.tsx), for this model only.
  const risks = confirmedRisksNow(model.demo ? null : model.id)
  let project: Project
  try {
    project = await sendAllowingOutsidePaths((confirmedPaths) =>
      invoke('projects.create', {
        name,
        data: { datasetId: data.datasetId, mapping: data.mapping, format: data.format, split: data.split, dropInvalidRows: data.dropInvalidRows },
        model: { id: model.id, path: model.path, displayName: model.displayName, demo: model.demo, hasChatTemplate: model.hasChatTemplate },
        // A merged copy only exists for adapters: full finetuning already saves the whole model.
        settings: { model: { id: model.id, path: model.path, trust_remote_code: risks.includes('trust_remote_code'), allow_downloads: risks.includes('allow_downloads') }, method: view.method, mode: data.mapping.mode, params: view.params, merge: view.method !== 'full' && parametersNow().merge },
        estimate: verifiedEstimateOf(view, options.riskAcceptedFor === view.signature, options.mode, measured),
        hardware: { ...snapshot },
        confirmedRisks: [...risks],
        confirmedPaths
      })
    )
  } catch (error) {
    const { message, details } = messageOf(error)
    actions.creationFailed(message, details)
    return
  }
  if (!options.train) {
    actions.projectCreated(project, null)
    return
  }
  await projectTrainingRequested(project, view)
}

/** Starts a saved project's run on the device the estimate was for (or the GPUs chosen for it), and shows it on Train. */
export async function projectTrainingRequested(project: Project, view: ReadyEstimate): Promise<void> {
  const actions = projectCreationActions()
  actions.creationStarted(true)
  try {
    const run = await invoke('projects.start-run', { projectId: project.id, device: runDeviceChoice(view, parametersNow().gpuSet) })
    actions.projectCreated(project, run)
    runStarted(run.id)
  } catch (error) {
    actions.projectCreated(project, null, `The project was saved, but its training could not start: ${messageOf(error).message}`)
  }
}

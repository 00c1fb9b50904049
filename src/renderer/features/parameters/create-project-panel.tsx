import { useId } from 'react'
import { useDraftDataset } from '../../stores/dataset-draft-store'
import { useMergeChosen, useParametersActions, useParametersMode, useRiskAcceptedFor } from '../../stores/parameters-store'
import { defaultProjectName, useProjectCreation, useProjectCreationActions, useProjectName } from '../../stores/project-creation-store'
import type { EstimateView } from './estimate-view'
import { projectCreationRequested, projectTrainingRequested } from './project-creation-service'
import { RiskyModelSettings } from './risky-model-settings'
import { measuredFor, useEstimateVerification } from '../../stores/estimate-verification-store'
import type { EstimateVerification } from '../../../shared/contract'
import { gateOpen } from './verified-estimate'

/** Why Create Project is not available yet, in words; null when it is. */
function gateReason(view: EstimateView, riskAcceptedFor: string | null, name: string, measured: EstimateVerification | null): string | null {
  if (view.kind === 'unavailable') return `The estimate is not computed yet: ${view.reason}`
  if (view.kind === 'invalid') return 'Fix the parameters marked in the form first: without valid parameters there is no estimate.'
  if (view.blocker) return view.blocker
  if (measured && !measured.fits && !gateOpen(view, riskAcceptedFor, measured)) return 'The measurement says this does not fit: apply a change and verify again, or tick the box above to accept the risk.'
  if (!gateOpen(view, riskAcceptedFor, measured)) return 'The estimate says this may run out of memory: apply a suggested change, or tick the box above to accept the risk.'
  if (name.trim() === '') return 'Project name: give the project a name.'
  return null
}

/** The verified gate: a project is saved only with an estimate computed for exactly these choices. */
export function CreateProjectPanel({ view }: { view: EstimateView }) {
  const dataset = useDraftDataset()
  const storedName = useProjectName()
  const creation = useProjectCreation()
  const { nameEdited } = useProjectCreationActions()
  const riskAcceptedFor = useRiskAcceptedFor()
  const mode = useParametersMode()
  const { riskAccepted, mergeChosen } = useParametersActions()
  const merge = useMergeChosen()
  const nameId = useId()
  const name = storedName ?? defaultProjectName(dataset?.fileName ?? null)
  const verification = useEstimateVerification()
  const measured = view.kind === 'ready' ? measuredFor(verification, view.signature) : null
  const reason = gateReason(view, riskAcceptedFor, name, measured)
  const busy = creation.status === 'creating'
  // Saved already: the same choices again would only make a duplicate.
  const saved = creation.status === 'created'
  const risky = view.kind === 'ready' && (view.chosen.fit.verdict !== 'fits' || measured?.fits === false) && !view.blocker
  const create = (train: boolean) => {
    if (view.kind === 'ready') void projectCreationRequested(view, { train, riskAcceptedFor, mode })
  }
  return (
    <section className="panel create-project" aria-labelledby="create-project-title">
      <div className="panel-header">
        <h3 id="create-project-title">Create the project</h3>
      </div>
      <div className="form-field">
        <label htmlFor={nameId}>Project name</label>
        <input id={nameId} value={name} maxLength={200} onChange={(event) => nameEdited(event.target.value)} aria-invalid={name.trim() === '' ? true : undefined} />
      </div>
      {view.kind === 'ready' && view.method !== 'full' && (
        <label className="toggle-field">
          <input type="checkbox" checked={merge} disabled={saved} onChange={(event) => mergeChosen(event.target.checked)} />
          <span>
            Also save a merged model (base + adapter in final/merged/: loads with transformers alone, no peft; as large as the base model)
          </span>
        </label>
      )}
      <RiskyModelSettings disabled={saved} />
      {risky && view.kind === 'ready' && (
        <label className="toggle-field risk-accept">
          <input type="checkbox" checked={riskAcceptedFor === view.signature} onChange={(event) => riskAccepted(event.target.checked ? view.signature : null)} />
          <span>I accept the risk that it may run out of memory</span>
        </label>
      )}
      <div className="button-row">
        <button type="button" disabled={reason !== null || busy || saved} onClick={() => create(false)}>
          {busy && creation.status === 'creating' && !creation.train ? 'Saving…' : 'Create project'}
        </button>
        <button type="button" disabled={reason !== null || busy || saved} onClick={() => create(true)}>
          {busy && creation.status === 'creating' && creation.train ? 'Starting…' : 'Create project and train'}
        </button>
      </div>
      <p className="small muted" role="status" data-testid="create-project-status">
        {reason ??
          (view.kind === 'ready'
            ? `Saves the data, model, these parameters and ${measured ? 'the figures measured on this machine' : 'this estimate (not verified on this machine)'} (${view.chosen.fit.verdict === 'fits' && measured?.fits !== false ? 'fits' : 'risk accepted'}).`
            : '')}
      </p>
      {creation.status === 'failed' && (
        <div role="alert" className="error-text">
          <p>{creation.message}</p>
          {creation.details.length > 0 && <p className="small">{creation.details.join(' · ')}</p>}
        </div>
      )}
      {creation.status === 'created' && (
        <div role="status" className="created" data-testid="project-created">
          <p>
            Project <strong>{creation.project.name}</strong> saved: {creation.project.trainExamples.toLocaleString('en-US')} training and {creation.project.validExamples.toLocaleString('en-US')} validation examples in{' '}
            <code>{creation.project.projectDir}</code>.
          </p>
          {creation.runError && <p className="error-text">{creation.runError}</p>}
          {!creation.run && view.kind === 'ready' && (
            <button type="button" onClick={() => void projectTrainingRequested(creation.project, view)}>
              Train this project
            </button>
          )}
        </div>
      )}
    </section>
  )
}

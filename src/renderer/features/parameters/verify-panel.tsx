import { useEffect } from 'react'
import { compareWithEstimate, formatError } from '../../../shared/estimate-verify/measured-vs-estimated'
import type { EstimateVerification } from '../../../shared/contract'
import type { TrainingMethod, TrainingParams } from '../../../shared/run-config'
import { estimateVerificationActions, useEstimateVerification, useVerifyWhenChanged } from '../../stores/estimate-verification-store'
import { useParametersActions } from '../../stores/parameters-store'
import { formatDuration, formatMemory } from './estimate-labels'
import type { ReadyEstimate } from './estimate-view'
import { verificationCancelRequested, verificationRequested } from './estimate-verify-service'
import { applyEstimateParams } from './manual-fields'

const stageShare = { starting: 0.02, tokenizer: 0.1, data: 0.2, model: 0.35, step: 0.4 } as const

interface Change {
  label: string
  method: TrainingMethod
  params: TrainingParams
}

/**
 * What to change when the measurement does not fit: the estimator's suggestions when it has
 * some, else the usual levers in order (the estimate fitted, so it has none to offer).
 */
function changesFor(view: ReadyEstimate): Change[] {
  if (view.chosen.suggestions.length > 0) {
    return view.chosen.suggestions.map((suggestion) => ({ label: suggestion.change, ...applyEstimateParams(view.params, suggestion.params) }))
  }
  const { params, method } = view
  const changes: Change[] = []
  if (params.micro_batch_size > 1) {
    const micro = Math.max(1, Math.floor(params.micro_batch_size / 2))
    changes.push({ label: `Micro batch ${micro} with gradient accumulation ${params.gradient_accumulation_steps * 2} (same effective batch).`, method, params: { ...params, micro_batch_size: micro, gradient_accumulation_steps: params.gradient_accumulation_steps * 2 } })
  }
  if (!params.gradient_checkpointing) changes.push({ label: 'Turn on gradient checkpointing (recomputes activations: about a third slower).', method, params: { ...params, gradient_checkpointing: true } })
  if (params.max_length > 128) changes.push({ label: `Max length ${Math.floor(params.max_length / 2)} (longer examples are cut).`, method, params: { ...params, max_length: Math.floor(params.max_length / 2) } })
  if (method === 'full') changes.push({ label: 'LoRA instead of full finetuning (no optimizer state for every weight).', method: 'lora', params })
  return changes
}

function Comparison({ view, verification }: { view: ReadyEstimate; verification: EstimateVerification }) {
  const compared = compareWithEstimate(view.chosen.vram, view.chosen.time, verification)
  const time = view.chosen.time
  return (
    <>
      <table className="verify-table" data-testid="verify-comparison">
        <thead>
          <tr>
            <th scope="col">Memory</th>
            <th scope="col">Estimated</th>
            <th scope="col">Measured</th>
          </tr>
        </thead>
        <tbody>
          {compared.rows.map((row) => (
            <tr key={row.label}>
              <th scope="row">{row.label}</th>
              <td>{formatMemory(row.estimatedBytes)}</td>
              <td>{row.measuredBytes === null ? '—' : formatMemory(row.measuredBytes)}</td>
            </tr>
          ))}
          <tr className="verify-total">
            <th scope="row">{compared.total.label}</th>
            <td data-testid="verify-estimated-peak">{formatMemory(compared.total.estimatedBytes)}</td>
            <td data-testid="verify-measured-peak" data-bytes={compared.total.measuredBytes ?? undefined}>
              {compared.total.measuredBytes === null ? '—' : formatMemory(compared.total.measuredBytes)}
              {compared.totalError !== null && <span className="small muted"> ({formatError(compared.totalError)})</span>}
            </td>
          </tr>
        </tbody>
      </table>
      {verification.memory.kind === 'cpu-resident' && (
        <p className="small muted">
          Resident memory of the runtime process, sampled while it ran. The allocator keeps memory it freed, so the split between optimizer state and a step's memory is rough; the peak is exact.
        </p>
      )}
      {verification.memory.deviceUsedBytes !== null && <p className="small">GPU memory in use at the end, as nvidia-smi sees it (other programs included): {formatMemory(verification.memory.deviceUsedBytes)}</p>}
      <dl className="stat-row">
        <div>
          <dt>Step time (longest examples)</dt>
          <dd data-testid="verify-step-time">{verification.secondsPerStep === null ? '—' : `${verification.secondsPerStep.toFixed(2)} s`}</dd>
        </div>
        <div>
          <dt>Training time, measured speed</dt>
          <dd data-testid="verify-time">{compared.measuredSeconds === null ? '—' : formatDuration(compared.measuredSeconds)}</dd>
        </div>
        <div>
          <dt>Estimated</dt>
          <dd>{time ? `${formatDuration(time.lowSeconds)} – ${formatDuration(time.highSeconds)}` : 'unknown'}</dd>
        </div>
      </dl>
      <p className="small muted">
        {verification.steps.length} steps on the longest {verification.batch.sequences} examples ({verification.batch.longestTokens} tokens each) on {verification.device} in {verification.precision}; the time above is the run's tokens at the measured {Math.round(verification.tokensPerSecond ?? 0)} tokens/s, so it leans long (the longest examples are the slowest).
      </p>
    </>
  )
}

function DoesNotFit({ view, verification }: { view: ReadyEstimate; verification: EstimateVerification }) {
  const { paramsApplied } = useParametersActions()
  const changes = changesFor(view)
  const applyAndVerify = (change: Change) => {
    estimateVerificationActions().reverifyAsked(view.signature)
    paramsApplied(change.method, change.params)
  }
  return (
    <div role="alert" className="verify-does-not-fit" data-testid="verify-does-not-fit">
      <p className="error-text">
        <strong>Does not fit (measured).</strong> {verification.message}
      </p>
      <ul aria-label="Changes to verify">
        {changes.map((change) => (
          <li key={change.label}>
            <span>{change.label}</span>{' '}
            <button type="button" className="secondary small-button" onClick={() => applyAndVerify(change)}>
              Apply and verify again
            </button>
          </li>
        ))}
      </ul>
    </div>
  )
}

/** "Verify on this machine": the estimate measured, beside the estimate, before Create Project. */
export function VerifyPanel({ view }: { view: ReadyEstimate }) {
  const state = useEstimateVerification()
  const verifyWhenChanged = useVerifyWhenChanged()
  const current = state.status !== 'idle' && state.forSignature === view.signature
  const running = state.status === 'running'
  useEffect(() => {
    // The form's text is deferred: the first render after Apply may still show the old estimate.
    if (verifyWhenChanged === null || verifyWhenChanged === view.signature || running) return
    estimateVerificationActions().reverifyAsked(null)
    if (!view.blocker) void verificationRequested(view)
  }, [view, verifyWhenChanged, running])

  return (
    <section className="verify-panel" aria-labelledby="verify-title" data-testid="verify-panel">
      <h4 id="verify-title">Verify on this machine</h4>
      <p className="small muted">Loads the model with these settings and takes 3 real training steps on the longest examples, on {view.chosen.device.label}; nothing is saved.</p>
      <div className="button-row">
        <button type="button" disabled={running || view.blocker !== null} onClick={() => void verificationRequested(view)}>
          {current && state.status !== 'running' ? 'Verify again' : 'Verify on this machine'}
        </button>
        {running && (
          <button type="button" className="secondary" disabled={state.cancelling} onClick={() => void verificationCancelRequested()}>
            {state.cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      {running && (
        <div role="status" data-testid="verify-progress">
          <progress max={1} value={state.progress ? stageShare[state.progress.stage] + (state.progress.stage === 'step' && state.progress.step ? (0.6 * state.progress.step) / state.progress.steps : 0) : 0} />
          <span className="small"> {state.progress?.message ?? 'Starting the runtime…'}</span>
          {state.forSignature !== view.signature && <p className="small muted">This measures the choices made when it started; verify again after it ends.</p>}
        </div>
      )}
      {state.status === 'cancelled' && current && <p className="small muted" role="status">Verification cancelled.</p>}
      {state.status === 'failed' && current && (
        <div role="alert" className="error-text" data-testid="verify-failed">
          <p>The verification could not measure: {state.message}</p>
          {state.advice.length > 0 && (
            <ul className="small">
              {state.advice.map((tip) => (
                <li key={tip}>{tip}</li>
              ))}
            </ul>
          )}
          {state.outputTail.length > 0 && (
            <details>
              <summary>The runtime's last lines</summary>
              <pre className="small">{state.outputTail.join('\n')}</pre>
            </details>
          )}
        </div>
      )}
      {state.status === 'measured' && current && (
        <div data-testid="verify-result" data-fits={state.verification.fits}>
          {state.verification.fits ? (
            <p className="verdict verdict-fits" role="status">
              <strong>Fits (measured)</strong>
            </p>
          ) : (
            <DoesNotFit view={view} verification={state.verification} />
          )}
          <Comparison view={view} verification={state.verification} />
        </div>
      )}
      {state.status !== 'idle' && state.status !== 'running' && !current && <p className="small muted">The last verification was for other choices: verify again to measure these.</p>}
    </section>
  )
}

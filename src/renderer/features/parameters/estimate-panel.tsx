import type { GpuMemorySample } from '../../../shared/hardware/types'
import { useLiveVramSample } from '../../stores/hardware-store'
import { useParametersActions } from '../../stores/parameters-store'
import { formatDuration, formatMemory, verdictLabels } from './estimate-labels'
import type { EstimateView, ReadyEstimate } from './estimate-view'
import { deviceKeyOf } from './estimate-view'
import { applyEstimateParams } from './manual-fields'
import { VerifyPanel } from './verify-panel'
import { VramBar } from './vram-bar'

function liveUsedBytes(sample: GpuMemorySample | null, index: number | null): number | null {
  if (!sample || sample.error || index === null) return null
  return sample.gpus.find((gpu) => gpu.index === index)?.memoryUsedBytes ?? null
}

function Suggestions({ view }: { view: ReadyEstimate }) {
  const { paramsApplied } = useParametersActions()
  const { suggestions } = view.chosen
  if (suggestions.length === 0) return null
  return (
    <div className="suggestions">
      <h4>What would make it fit</h4>
      <ul aria-label="Changes that would make it fit">
        {suggestions.map((suggestion) => {
          const applied = applyEstimateParams(view.params, suggestion.params)
          return (
            <li key={suggestion.change} className={`suggestion verdict-${suggestion.verdict}`}>
              <span>
                {suggestion.change} <span className="small muted">→ {formatMemory(suggestion.newPeakBytes)}, {verdictLabels[suggestion.verdict].toLowerCase()}</span>
              </span>
              <button type="button" className="secondary small-button" onClick={() => paramsApplied(applied.method, applied.params)} aria-label={`Apply in Manual: ${suggestion.change}`}>
                Apply
              </button>
            </li>
          )
        })}
      </ul>
    </div>
  )
}

function ReadyPanel({ view }: { view: ReadyEstimate }) {
  const live = useLiveVramSample()
  const { chosen } = view
  const time = chosen.time
  return (
    <>
      <div className={`verdict verdict-${chosen.fit.verdict}`} role="status" data-testid="estimate-verdict" data-verdict={chosen.fit.verdict}>
        <strong>{verdictLabels[chosen.fit.verdict]}</strong>
        <span>{chosen.fit.summary}</span>
      </div>
      <dl className="stat-row">
        <div>
          <dt>Peak memory</dt>
          <dd data-testid="estimate-peak" data-bytes={chosen.vram.requiredBytes}>
            {formatMemory(chosen.vram.requiredBytes)}
          </dd>
        </div>
        <div>
          <dt>Available</dt>
          <dd>{formatMemory(chosen.availableBytes)}</dd>
        </div>
        <div>
          <dt>Training time</dt>
          <dd data-testid="estimate-time">{time ? `${formatDuration(time.lowSeconds)} – ${formatDuration(time.highSeconds)}` : 'unknown'}</dd>
        </div>
        <div>
          <dt>Optimizer steps</dt>
          <dd>{time ? time.optimizerSteps.toLocaleString('en-US') : '—'}</dd>
        </div>
      </dl>
      {time ? <p className="small muted">{time.basis}</p> : <p className="small muted">{chosen.timeUnavailable}</p>}
      {chosen.cannotTrain && (
        <p role="alert" className="error-text" data-testid="estimate-cannot-train">
          Cannot train on {chosen.device.label}: {chosen.cannotTrain}
        </p>
      )}
      {chosen.cpuNote && (
        <p className="small cpu-note" data-testid="estimate-cpu-note">
          {chosen.cpuNote}
        </p>
      )}
      {view.estimate.devices.map((entry) => {
        const key = deviceKeyOf(entry.device)
        const isChosen = key === view.chosenKey
        return <VramBar key={key} estimate={entry} detailed={isChosen} inUseBytes={entry.device.kind === 'gpu' ? liveUsedBytes(live, entry.device.index) : null} />
      })}
      {live?.error && <p className="small muted">Live GPU memory: {live.error}</p>}
      {chosen.vram.notes.map((note) => (
        <p key={note} className="small">
          {note}
        </p>
      ))}
      <Suggestions view={view} />
      <VerifyPanel view={view} />
    </>
  )
}

/** The estimate for the parameters on screen, per device, recomputed as they change. */
export function EstimatePanel({ view }: { view: EstimateView }) {
  return (
    <section className="panel estimate-panel" aria-labelledby="estimate-title" data-testid="estimate-panel" aria-busy={view.kind === 'unavailable'}>
      <div className="panel-header">
        <h3 id="estimate-title">Memory and time estimate</h3>
      </div>
      {view.kind === 'unavailable' && (
        <p className="muted" role="status" data-testid="estimate-waiting">
          {view.reason}
        </p>
      )}
      {view.kind === 'invalid' && (
        <div role="status" data-testid="estimate-invalid">
          <p className="error-text">The estimate follows as soon as these fields are valid:</p>
          <ul className="small">
            {Object.values(view.errors).map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        </div>
      )}
      {view.kind === 'ready' && <ReadyPanel view={view} />}
    </section>
  )
}

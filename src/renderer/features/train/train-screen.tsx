import type { RunDetail } from '../../../shared/contract'
import { goToScreen } from '../../stores/navigation-store'
import { useLiveRunDetail, useLiveRunId, useLiveRunLoadError, useRunWarnings } from '../../stores/live-run-store'
import { isLiveStatus } from '../runs/run-labels'
import { LossPanel } from './loss-panel'
import { RunAgainButton } from './run-again-dialog'
import { RunProgressPanel } from './run-progress-panel'
import { RunStatusPanel } from './run-status-panel'
import { RunTerminal } from './run-terminal'
import './train.css'

function NoRun() {
  return (
    <section className="panel">
      <p>No run is open. Start one: try the demo on the Welcome screen, train a project from Parameters & estimate, or open an earlier run from History.</p>
      <div className="button-row">
        <button type="button" onClick={() => goToScreen('welcome')}>
          Try the demo
        </button>
        <button type="button" className="secondary" onClick={() => goToScreen('history')}>
          Open History
        </button>
      </div>
    </section>
  )
}

function RunHeader({ run }: { run: RunDetail }) {
  return (
    <section className="panel run-header" aria-label="Run">
      <div>
        <p className="run-title">
          Run <code data-testid="run-id">{run.id}</code>
        </p>
        <p className="muted small">
          {run.baseModel} · {run.method} · {run.mode} · {run.dataset ?? 'formatted data'}
        </p>
      </div>
      {!isLiveStatus(run.status) && <RunAgainButton run={run} />}
      {run.demo && (
        <p className="demo-note">
          Demo model: <code>localtune/tiny-demo</code> is a tiny byte-level model trained from random weights. It learns the format of the data, not
          knowledge: it is not a real LLM.
        </p>
      )}
    </section>
  )
}

function Warnings() {
  const warnings = useRunWarnings()
  if (warnings.length === 0) return null
  return (
    <section className="panel" aria-labelledby="run-warnings-title">
      <h3 id="run-warnings-title" className="panel-heading">
        Warnings from the runtime
      </h3>
      <ul className="warning-list">
        {warnings.map((warning, index) => (
          <li key={index}>{warning}</li>
        ))}
      </ul>
    </section>
  )
}

/** TRAIN: one run, live: status, progress, loss curves and the runtime's terminal. */
export function TrainScreen() {
  const runId = useLiveRunId()
  const run = useLiveRunDetail()
  const loadError = useLiveRunLoadError()
  if (!runId) return <NoRun />
  if (loadError) {
    return (
      <section className="panel" role="alert">
        <p className="error-text preline">{loadError}</p>
      </section>
    )
  }
  if (!run) return <p className="muted">Loading run {runId}…</p>
  return (
    <div className="screen-stack train-screen">
      <RunHeader run={run} />
      <div className="run-overview">
        <RunStatusPanel run={run} />
        <RunProgressPanel run={run} />
      </div>
      <LossPanel />
      <section className="panel" aria-labelledby="terminal-title">
        <header className="panel-header">
          <h3 id="terminal-title">Terminal</h3>
          <span className="muted small">what the runtime prints; all of it is in output.log in the run folder</span>
        </header>
        <RunTerminal runId={runId} />
      </section>
      <Warnings />
    </div>
  )
}

import { useEffect } from 'react'
import type { ProjectRuns, RunSummary } from '../../../shared/contract'
import {
  useCompareError,
  useCompareIds,
  useCompareToggled,
  useComparing,
  useComparison,
  useDeleteRequested,
  useHistoryError,
  useHistoryGroups,
  useHistoryLoaded,
  useHistoryLoading
} from '../../stores/run-history-store'
import { formatDuration, formatLoss, isLiveStatus, statusLabels } from '../runs/run-labels'
import { runChosen } from '../train/live-run-service'
import { ComparePanel } from './compare-panel'
import { DeleteRunDialog } from './delete-run-dialog'
import { EstimateErrorCell } from './estimate-error-cell'
import { compareRuns, loadHistory } from './history-service'
import './history.css'

function RunRow({ run }: { run: RunSummary }) {
  const compareIds = useCompareIds()
  const compareToggled = useCompareToggled()
  const deleteRequested = useDeleteRequested()
  const live = isLiveStatus(run.status)
  const ticked = compareIds.includes(run.id)
  return (
    <tr data-testid="history-run" data-run-id={run.id}>
      <td>
        <input type="checkbox" checked={ticked} onChange={() => compareToggled(run.id)} aria-label={`Compare run ${run.id}`} />
      </td>
      <th scope="row">
        <code>{run.id}</code>
        {run.demo && <span className="demo-chip">demo</span>}
      </th>
      <td>
        <span className={`status-badge status-${run.status}`}>{statusLabels[run.status]}</span>
      </td>
      <td>{run.baseModel}</td>
      <td>{run.dataset ?? '—'}</td>
      <td className="numeric">{formatLoss(run.finalLoss)}</td>
      <td className="numeric">{formatLoss(run.finalEvalLoss)}</td>
      <td className="numeric">
        {run.lastStep ?? 0}/{run.totalSteps ?? '?'}
      </td>
      <td className="numeric">{formatDuration(run.durationSeconds)}</td>
      <EstimateErrorCell runId={run.id} />
      <td>{new Date(run.createdAt).toLocaleString()}</td>
      <td>
        <div className="button-row">
          <button type="button" className="secondary small-button" onClick={() => runChosen(run.id, 'train')} aria-label={`Open run ${run.id} on Train`}>
            Train
          </button>
          <button type="button" className="secondary small-button" onClick={() => runChosen(run.id, 'results')} aria-label={`Open results of run ${run.id}`} disabled={live}>
            Results
          </button>
          <button
            type="button"
            className="secondary small-button"
            onClick={() => deleteRequested(run)}
            aria-label={`Delete run ${run.id}`}
            disabled={live}
            title={live ? 'Stop the run before deleting it' : undefined}
          >
            Delete
          </button>
        </div>
      </td>
    </tr>
  )
}

function ProjectGroup({ group }: { group: ProjectRuns }) {
  const headingId = `project-${group.projectId ?? 'none'}`
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h3 id={headingId} className="panel-heading">
        {group.name} <span className="muted small">({group.runs.length === 1 ? '1 run' : `${group.runs.length} runs`})</span>
      </h3>
      {group.runs.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="history-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">Compare</span>
                </th>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Base model</th>
                <th scope="col">Dataset</th>
                <th scope="col" className="numeric">
                  Final loss
                </th>
                <th scope="col" className="numeric">
                  Eval loss
                </th>
                <th scope="col" className="numeric">
                  Steps
                </th>
                <th scope="col" className="numeric">
                  Duration
                </th>
                <th scope="col" className="numeric">
                  Estimate error
                </th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {group.runs.map((run) => (
                <RunRow key={run.id} run={run} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

/** HISTORY: every project and run; open one, compare two, delete one. */
export function HistoryScreen() {
  const groups = useHistoryGroups()
  const loading = useHistoryLoading()
  const loaded = useHistoryLoaded()
  const error = useHistoryError()
  const compareIds = useCompareIds()
  const comparison = useComparison()
  const comparing = useComparing()
  const compareError = useCompareError()

  useEffect(() => {
    void loadHistory()
  }, [])

  const [first, second] = compareIds
  return (
    <div className="screen-stack history-screen">
      <section className="panel compare-bar" aria-label="Compare runs">
        <p className="muted">Tick two runs to overlay their loss curves and see which settings differ.</p>
        <button type="button" disabled={!first || !second || comparing} onClick={() => first && second && void compareRuns(first, second)}>
          {comparing ? 'Comparing…' : `Compare ${compareIds.length === 2 ? 'the two ticked runs' : `(${compareIds.length}/2 ticked)`}`}
        </button>
        <button type="button" className="secondary" onClick={() => void loadHistory()} disabled={loading}>
          Refresh
        </button>
      </section>
      {compareError && (
        <p role="alert" className="error-text preline">
          {compareError}
        </p>
      )}
      {comparison && <ComparePanel comparison={comparison} />}
      {error && (
        <p role="alert" className="error-text preline">
          {error}
        </p>
      )}
      {loaded && groups.length === 0 && <p className="panel">No runs yet. Try the demo on the Welcome screen, or train a project.</p>}
      {!loaded && loading && <p className="muted">Reading the history…</p>}
      {groups.map((group) => (
        <ProjectGroup key={group.projectId ?? 'none'} group={group} />
      ))}
      <DeleteRunDialog />
    </div>
  )
}

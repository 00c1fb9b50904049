import type { RunDetail } from '../../../shared/contract'
import { goToScreen } from '../../stores/navigation-store'
import { useCheckpointSteps, usePendingRunAction, useRunActionError } from '../../stores/live-run-store'
import { isLiveStatus, statusLabels } from '../runs/run-labels'
import { resumeCurrentRun, stopCurrentRun } from './live-run-service'

/** What the status means for the user, in a sentence, with what they can do next. */
function statusSentence(run: RunDetail, lastCheckpoint: number | null): string {
  const checkpoint = lastCheckpoint === null ? 'No checkpoint was saved yet.' : `The last checkpoint is at step ${lastCheckpoint}.`
  switch (run.status) {
    case 'queued':
      return run.queuePosition === 1
        ? `Waiting for ${run.device}: it starts when the run ahead of it on that device ends.`
        : `Waiting for ${run.device}: number ${run.queuePosition ?? '?'} in its queue.`
    case 'running':
      return 'Training. Stop finishes the current step, saves a checkpoint and ends the run; Resume continues it later.'
    case 'stopping':
      return 'Stopping: finishing the current step and saving a checkpoint. If it takes too long, LocalTune stops it forcibly.'
    case 'completed':
      return `Completed all ${run.totalSteps ?? ''} steps.`
    case 'stopped':
      return `Stopped on request after saving. ${checkpoint} Resume continues from there, on the same curve.`
    case 'stopped_forcibly':
      return `It did not stop in time after the stop request and was killed. ${checkpoint}`
    case 'failed':
      return 'Training failed.'
    case 'interrupted':
      return 'LocalTune closed or crashed while this run was training.'
    case 'cancelled':
      return 'Removed from the queue before it started.'
  }
}

/** The run's status with its explanation, failure details and the Stop / Resume controls. */
export function RunStatusPanel({ run }: { run: RunDetail }) {
  const pending = usePendingRunAction()
  const actionError = useRunActionError()
  const checkpoints = useCheckpointSteps()
  const lastCheckpoint = checkpoints.at(-1) ?? null
  const live = isLiveStatus(run.status)
  const failure = run.failure

  return (
    <section className="panel run-status-panel" aria-labelledby="run-status-title">
      <header className="panel-header">
        <h3 id="run-status-title">
          Status:{' '}
          <span className={`status-badge status-${run.status}`} data-testid="run-status" data-status={run.status} role="status">
            {statusLabels[run.status]}
            {run.status === 'queued' && run.queuePosition !== null ? ` (#${run.queuePosition})` : ''}
          </span>
        </h3>
        <div className="button-row">
          {(run.status === 'running' || run.status === 'queued') && (
            <button type="button" onClick={() => void stopCurrentRun()} disabled={pending !== null}>
              {pending === 'stop' ? 'Stopping…' : run.status === 'queued' ? 'Remove from queue' : 'Stop'}
            </button>
          )}
          {run.status === 'stopping' && (
            <button type="button" className="danger" onClick={() => void stopCurrentRun(true)} disabled={pending !== null}>
              Stop now (no checkpoint)
            </button>
          )}
          {!live && run.canResume && run.status !== 'completed' && (
            <button type="button" onClick={() => void resumeCurrentRun()} disabled={pending !== null}>
              {pending === 'resume' ? 'Resuming…' : 'Resume'}
            </button>
          )}
          {!live && (
            <button type="button" className="secondary" onClick={() => goToScreen('results')}>
              See results
            </button>
          )}
        </div>
      </header>
      {/* The core's failure message says it better (what happened and where resume starts). */}
      {!failure && <p>{statusSentence(run, lastCheckpoint)}</p>}
      {lastCheckpoint !== null && (
        <p className="muted small" data-testid="last-checkpoint" data-step={lastCheckpoint}>
          Checkpoint saved at step {lastCheckpoint} ({checkpoints.length} kept in checkpoints/).
        </p>
      )}
      {failure && (
        <div className={run.status === 'failed' ? 'run-failure' : 'run-note'} role={run.status === 'failed' ? 'alert' : undefined}>
          <p className="run-failure-message">{failure.message}</p>
          {failure.advice.length > 0 && (
            <>
              <p className="small muted">What to try:</p>
              <ol className="advice-list">
                {failure.advice.map((advice) => (
                  <li key={advice}>{advice}</li>
                ))}
              </ol>
            </>
          )}
          {failure.outputTail.length > 0 && (
            <details open={run.status === 'failed'}>
              <summary>The last lines it printed</summary>
              <pre className="output-tail">{failure.outputTail.join('\n')}</pre>
            </details>
          )}
        </div>
      )}
      {actionError && (
        <p role="alert" className="error-text preline">
          {actionError}
        </p>
      )}
    </section>
  )
}

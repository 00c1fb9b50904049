import { useEffect } from 'react'
import type { RunDetail } from '../../../shared/contract'
import { useLiveVramSample } from '../../stores/hardware-store'
import { liveVramWatched } from '../parameters/hardware-service'
import { useLastEval, useLiveProgress, useLiveRunStarted, useProjectEstimate } from '../../stores/live-run-store'
import { formatBytes, formatCount, formatDuration, formatLearningRate, formatLoss, isLiveStatus } from '../runs/run-labels'
import { effectiveBatchText, parallelismText, rankPeakFigures, runGpuMemory, type RankPeakFigures } from './progress-figures'

function MemoryFigures({ run }: { run: RunDetail }) {
  const progress = useLiveProgress()
  const estimate = useProjectEstimate()
  const perRank = rankPeakFigures(progress?.rankPeakBytes, run)
  const several = run.ranks > 1
  if (run.device === 'cpu') {
    // The runtime reports the process's peak resident memory when the run ends; a run of several
    // processes also reports each one's peak so far with every progress event.
    return (
      <>
        {perRank && <RankPeaks figures={perRank} />}
        {(run.peakMemoryBytes !== null || !perRank) && (
          <>
            <dt>Memory peak</dt>
            <dd data-testid="memory-figures">
              {run.peakMemoryBytes === null ? (
                several && isLiveStatus(run.status) ? (
                  'Each training process’s peak resident memory shows from the next logged step.'
                ) : (
                  'Measured when the run ends (the training process’s peak resident memory on the CPU).'
                )
              ) : (
                <>
                  {formatBytes(run.peakMemoryBytes)}{' '}
                  <span className="muted">
                    ({several ? 'rank 0’s process’s' : 'the training process’s'} peak resident memory{estimate ? `, vs ${formatBytes(estimate.peakBytes)} estimated` : ''})
                  </span>
                </>
              )}
            </dd>
          </>
        )}
      </>
    )
  }
  const peak = progress?.gpuPeakBytes ?? run.peakMemoryBytes
  return (
    <>
      <dt>GPU memory now</dt>
      <dd data-testid="memory-figures">
        {formatBytes(progress?.gpuAllocatedBytes)}
        {several && <span className="muted"> (rank 0, allocated by PyTorch)</span>}
      </dd>
      {isLiveStatus(run.status) && <GpuMemoryPerGpu gpuIndices={run.gpuIndices} />}
      {perRank && <RankPeaks figures={perRank} />}
      <dt>GPU memory peak</dt>
      <dd>
        {formatBytes(peak)}
        {several && <span className="muted"> (rank 0)</span>}
        {estimate ? (
          <span className="muted">
            {' '}
            vs {formatBytes(estimate.peakBytes)} estimated for {estimate.deviceLabel} (verified when project “{estimate.projectName}” was created)
          </span>
        ) : (
          <span className="muted"> (no verified estimate for this run)</span>
        )}
      </dd>
    </>
  )
}

/**
 * Each rank's peak memory so far, from the newest progress event: on a GPU what PyTorch
 * allocated (less than nvidia-smi shows, which adds PyTorch's cache and the CUDA context), on the
 * CPU each process's resident memory.
 */
function RankPeaks({ figures }: { figures: RankPeakFigures }) {
  return (
    <>
      <dt>{figures.kind === 'cpu' ? 'Peak per process' : figures.byGpu ? 'Peak per GPU' : 'Peak per rank'}</dt>
      <dd data-testid="rank-peaks">
        <ul className="gpu-memory-list">
          {figures.rows.map((row) => (
            <li key={row.rank}>{row.text}</li>
          ))}
        </ul>
        <span className="muted small">
          {figures.kind === 'cpu'
            ? 'The highest resident memory of each training process so far, as the operating system counts it.'
            : 'The most memory PyTorch allocated on each rank’s GPU so far; nvidia-smi shows more (it adds PyTorch’s cache).'}
        </span>
      </dd>
    </>
  )
}

/**
 * Each of the run's GPUs as nvidia-smi sees it (what every process holds on it), read by the
 * hardware watcher while the panel shows a live run.
 */
function GpuMemoryPerGpu({ gpuIndices }: { gpuIndices: number[] }) {
  const sample = useLiveVramSample()
  useEffect(() => liveVramWatched(), [])
  const rows = runGpuMemory(sample, gpuIndices)
  return (
    <>
      <dt>{gpuIndices.length > 1 ? 'Memory per GPU (nvidia-smi)' : 'GPU memory in use (nvidia-smi)'}</dt>
      <dd data-testid="gpu-memory-per-gpu">
        {sample?.error ? (
          <span className="muted">{sample.error}</span>
        ) : !sample ? (
          <span className="muted">reading…</span>
        ) : (
          <ul className="gpu-memory-list">
            {rows.map((row) => (
              <li key={row.index}>
                GPU {row.index}: {row.usedBytes === null ? 'not reported' : `${formatBytes(row.usedBytes)} of ${formatBytes(row.totalBytes)}`}
              </li>
            ))}
          </ul>
        )}
      </dd>
    </>
  )
}

/** Where the run is: step, epoch, time left, and the latest figures of the training loop. */
export function RunProgressPanel({ run }: { run: RunDetail }) {
  const progress = useLiveProgress()
  const lastEval = useLastEval()
  const started = useLiveRunStarted()
  const total = progress?.totalSteps ?? started?.total_steps ?? run.totalSteps
  const step = progress?.step ?? run.lastStep ?? 0
  const live = isLiveStatus(run.status)
  const percent = total ? Math.min(100, Math.round((step / total) * 100)) : null
  const epochs = run.config.params.max_steps === null ? run.config.params.epochs : null

  return (
    <section className="panel" aria-labelledby="run-progress-title">
      <header className="panel-header">
        <h3 id="run-progress-title">Progress</h3>
        <span className="muted small">{run.deviceLabel ?? started?.device ?? run.device}</span>
      </header>
      <progress className="run-progress" max={total ?? 1} value={total ? step : undefined} aria-label="Training progress" data-testid="run-progress" />
      <p className="run-progress-text" aria-live="off">
        Step {formatCount(step)} of {total === null ? '…' : formatCount(total)}
        {percent !== null && ` (${percent}%)`}
        {progress?.epoch != null && ` · epoch ${progress.epoch.toFixed(2)}${epochs ? ` of ${epochs}` : ''}`}
        {live && progress?.etaSeconds != null && ` · about ${formatDuration(progress.etaSeconds)} left`}
        {!live && ` · trained for ${formatDuration(run.durationSeconds)}`}
      </p>
      <dl className="run-figures">
        {/* Two figures, two names: one step's loss jumps around; the final loss is the mean of the
            last 10 steps, the figure History, the CLI and the model card call "final loss". */}
        <dt>{progress ? `Loss at step ${formatCount(progress.step)}` : 'Loss at the last step'}</dt>
        <dd data-testid="train-loss">{progress ? formatLoss(progress.loss) : 'no step yet'}</dd>
        {run.finalLoss !== null && (
          <>
            <dt>Final loss (mean of the last 10 steps)</dt>
            <dd data-testid="final-loss">{formatLoss(run.finalLoss)}</dd>
          </>
        )}
        <dt>Eval loss</dt>
        <dd>{lastEval ? `${formatLoss(lastEval.loss)} at step ${lastEval.step}` : run.config.data.valid === null ? 'no validation set' : 'not evaluated yet'}</dd>
        <dt>Learning rate</dt>
        <dd>{formatLearningRate(progress?.lr)}</dd>
        <dt>Tokens / s</dt>
        <dd>{formatCount(progress?.tokensPerSecond)}</dd>
        <dt>Effective batch</dt>
        <dd data-testid="effective-batch">{effectiveBatchText(run.config.params, run.ranks)}</dd>
        {parallelismText(started?.parallelism, started?.world_size ?? run.ranks) && (
          <>
            <dt>Model across ranks</dt>
            <dd data-testid="parallelism">{parallelismText(started?.parallelism, started?.world_size ?? run.ranks)}</dd>
          </>
        )}
        <MemoryFigures run={run} />
      </dl>
    </section>
  )
}

import { useId, useMemo, useState } from 'react'
import type { RunComparison } from '../../../shared/contract'
import { useComparisonClosed } from '../../stores/run-history-store'
import { LossChart, type CurveSpec } from '../charts/loss-chart'
import { SeriesBuffer } from '../charts/series-buffer'
import { formatLoss } from '../runs/run-labels'

function bufferOf(metrics: { step: number[]; loss: Array<number | null> }): SeriesBuffer {
  const buffer = new SeriesBuffer()
  buffer.appendMany(metrics.step, metrics.loss)
  return buffer
}

/** Two runs' loss curves on one chart, and the settings that differ between them. */
export function ComparePanel({ comparison }: { comparison: RunComparison }) {
  const closed = useComparisonClosed()
  const [smoothing, setSmoothing] = useState(0.6)
  const sliderId = useId()
  const [a, b] = comparison.runs
  const curves = useMemo<CurveSpec[]>(() => {
    const [trainA, trainB] = comparison.train
    const [evalA, evalB] = comparison.eval
    return [
      { key: 'a-train', label: `A ${a.id} train`, buffer: bufferOf(trainA), colorVar: '--chart-train', smoothed: true, width: 2 },
      { key: 'b-train', label: `B ${b.id} train`, buffer: bufferOf(trainB), colorVar: '--chart-b-train', smoothed: true, width: 2 },
      { key: 'a-eval', label: `A eval`, buffer: bufferOf(evalA), colorVar: '--chart-eval', points: true, dash: [6, 4] },
      { key: 'b-eval', label: `B eval`, buffer: bufferOf(evalB), colorVar: '--chart-b-eval', points: true, dash: [6, 4] }
    ]
  }, [comparison, a.id, b.id])

  return (
    <section className="panel" aria-labelledby="compare-title" data-testid="compare-panel">
      <header className="panel-header">
        <h3 id="compare-title">
          Compare A <code>{a.id}</code> and B <code>{b.id}</code>
        </h3>
        <div className="button-row">
          <div className="smoothing-control">
            <label htmlFor={sliderId}>Smoothing</label>
            <input id={sliderId} type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(event) => setSmoothing(Number(event.target.value))} />
            <output htmlFor={sliderId}>{smoothing.toFixed(2)}</output>
          </div>
          <button type="button" className="secondary small-button" onClick={closed}>
            Close comparison
          </button>
        </div>
      </header>
      <LossChart curves={curves} smoothing={smoothing} label={`Loss of run A ${a.id} and run B ${b.id} by step`} emptyText="Neither run has a loss point yet." />
      <table className="history-table compare-table" aria-label="Settings and results that differ">
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">A</th>
            <th scope="col">B</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">final train loss</th>
            <td>{formatLoss(a.finalLoss)}</td>
            <td>{formatLoss(b.finalLoss)}</td>
          </tr>
          <tr>
            <th scope="row">final eval loss</th>
            <td>{formatLoss(a.finalEvalLoss)}</td>
            <td>{formatLoss(b.finalEvalLoss)}</td>
          </tr>
          {comparison.differences.map((difference) => (
            <tr key={difference.setting}>
              <th scope="row">
                <code>{difference.setting}</code>
              </th>
              <td>{difference.a}</td>
              <td>{difference.b}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {comparison.differences.length === 0 && <p className="muted small">The two runs have the same settings.</p>}
    </section>
  )
}

import { useId, useMemo, useState } from 'react'
import { LossChart, type CurveSpec } from '../charts/loss-chart'
import { liveCurves } from './live-curves'

/** The train and eval loss of the run on screen, live, with a smoothing control. */
export function LossPanel() {
  const [smoothing, setSmoothing] = useState(0.6)
  const sliderId = useId()
  const curves = useMemo<CurveSpec[]>(
    () => [
      { key: 'train', label: 'train loss', buffer: liveCurves.train, colorVar: '--chart-train-raw', width: 1 },
      { key: 'train-smoothed', label: 'train loss (smoothed)', buffer: liveCurves.train, colorVar: '--chart-train', smoothed: true, width: 2 },
      { key: 'eval', label: 'eval loss', buffer: liveCurves.eval, colorVar: '--chart-eval', points: true, width: 2 }
    ],
    []
  )
  return (
    <section className="panel" aria-labelledby="loss-title">
      <header className="panel-header">
        <h3 id="loss-title">Loss</h3>
        <div className="smoothing-control">
          <label htmlFor={sliderId}>Smoothing</label>
          <input id={sliderId} type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(event) => setSmoothing(Number(event.target.value))} />
          <output htmlFor={sliderId}>{smoothing.toFixed(2)}</output>
        </div>
      </header>
      <LossChart curves={curves} smoothing={smoothing} label="Training and evaluation loss by step" />
    </section>
  )
}

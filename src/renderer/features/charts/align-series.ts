import type { XYPoints } from './downsample'

/** uPlot's aligned data: one shared x column, then one y column per series (null: no point there). */
export type AlignedColumns = [number[], ...Array<Array<number | null>>]

/**
 * Puts curves with different steps (train every step, eval every N steps, two runs of a
 * comparison) on one shared x column, as uPlot wants: the union of their steps, sorted, with
 * null where a curve has no point (series draw across those with spanGaps).
 */
export function alignSeries(series: readonly XYPoints[]): AlignedColumns {
  const steps = new Set<number>()
  for (const curve of series) for (const step of curve.x) steps.add(step)
  const x = [...steps].sort((a, b) => a - b)
  const columns: AlignedColumns = [x]
  for (const curve of series) {
    const column: Array<number | null> = new Array<number | null>(x.length).fill(null)
    let at = 0
    for (let index = 0; index < curve.x.length; index++) {
      const step = curve.x[index] ?? 0
      while (at < x.length && (x[at] ?? 0) < step) at++
      column[at] = curve.y[index] ?? null
    }
    columns.push(column)
  }
  return columns
}

import { extent } from '../../shared/extent'
export interface ChartSeries {
  step: readonly number[]
  value: ReadonlyArray<number | null>
  /** One character drawn at each point. */
  mark: string
}

/**
 * A loss curve for the terminal: each column is a range of steps, each row a range of loss, the
 * y axis labelled at the top, middle and bottom. Later series draw over earlier ones (eval over
 * train). Returns [] when there is no finite point.
 */
export function lossChart(series: readonly ChartSeries[], options: { width?: number; height?: number } = {}): string[] {
  const width = Math.max(10, options.width ?? 60)
  const height = Math.max(4, options.height ?? 12)
  const points = series.flatMap((s) => s.step.map((step, i) => ({ step, value: s.value[i] ?? null, mark: s.mark }))).filter((p): p is { step: number; value: number; mark: string } => p.value !== null && Number.isFinite(p.value))
  if (points.length === 0) return []
  const { min: minStep, max: maxStep } = extent(points.map((p) => p.step))
  let { min: low, max: high } = extent(points.map((p) => p.value))
  if (high === low) {
    high += 0.5
    low -= 0.5
  }
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(' '))
  for (const point of points) {
    const column = maxStep === minStep ? 0 : Math.round(((point.step - minStep) / (maxStep - minStep)) * (width - 1))
    const row = height - 1 - Math.round(((point.value - low) / (high - low)) * (height - 1))
    const line = grid[row]
    if (line) line[column] = point.mark
  }
  const label = (value: number) => value.toPrecision(4)
  const labels = new Map<number, string>([
    [0, label(high)],
    [Math.floor((height - 1) / 2), label((high + low) / 2)],
    [height - 1, label(low)]
  ])
  const labelWidth = Math.max(...[...labels.values()].map((text) => text.length))
  const lines = grid.map((cells, row) => `${(labels.get(row) ?? '').padStart(labelWidth)} |${cells.join('').trimEnd()}`)
  lines.push(`${' '.repeat(labelWidth)} +${'-'.repeat(width)}`)
  const first = `step ${minStep}`
  const last = `step ${maxStep}`
  lines.push(`${' '.repeat(labelWidth + 2)}${first}${last.padStart(Math.max(last.length + 1, width - first.length))}`)
  return lines
}

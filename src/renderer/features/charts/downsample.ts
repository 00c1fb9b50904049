import { lowerBound, upperBound } from './series-buffer'

export interface XYPoints {
  x: number[]
  y: number[]
}

/**
 * The points of a curve to draw between steps `from` and `to` on a plot `buckets` pixels wide:
 * at most the lowest and the highest point of each pixel column (in step order), so 100,000
 * points draw as ~2 × width without losing a single spike. The nearest point outside the range
 * on each side is kept so the line runs to the plot's edges. NaN values (gaps) are left out.
 * Input steps must be sorted ascending; `count` limits how much of the arrays is read.
 */
export function downsampleMinMax(x: ArrayLike<number>, y: ArrayLike<number>, count: number, from: number, to: number, buckets: number): XYPoints {
  const out: XYPoints = { x: [], y: [] }
  if (count === 0 || to < from) return out
  const start = Math.max(0, lowerBound(x, count, from) - 1)
  const end = Math.min(count, upperBound(x, count, to) + 1)
  const push = (index: number) => {
    const value = y[index] ?? Number.NaN
    if (Number.isNaN(value)) return
    out.x.push(x[index] ?? 0)
    out.y.push(value)
  }
  const columns = Math.max(1, Math.floor(buckets))
  if (end - start <= 2 * columns) {
    for (let index = start; index < end; index++) push(index)
    return out
  }
  const width = (to - from) / columns || 1
  let bucket = -1
  let minIndex = -1
  let maxIndex = -1
  const flush = () => {
    if (minIndex < 0) return
    if (minIndex === maxIndex) push(minIndex)
    else if (minIndex < maxIndex) {
      push(minIndex)
      push(maxIndex)
    } else {
      push(maxIndex)
      push(minIndex)
    }
  }
  for (let index = start; index < end; index++) {
    const step = x[index] ?? 0
    // Points just outside the range are their own buckets (-1 and `columns`).
    const current = step < from ? -1 : step > to ? columns : Math.min(columns - 1, Math.floor((step - from) / width))
    if (current !== bucket) {
      flush()
      bucket = current
      minIndex = -1
      maxIndex = -1
    }
    const value = y[index] ?? Number.NaN
    if (Number.isNaN(value)) continue
    if (minIndex < 0 || value < (y[minIndex] ?? 0)) minIndex = index
    if (maxIndex < 0 || value > (y[maxIndex] ?? 0)) maxIndex = index
  }
  flush()
  return out
}

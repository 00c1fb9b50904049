import { clampSmoothing, emaInto, emptyEma, type EmaState } from './smoothing'

/**
 * One curve (step → value) kept in growable typed arrays, so 100,000 points cost two
 * Float64Arrays instead of 100,000 objects, and appending is O(1) amortised. Steps only grow:
 * a step that is not past the last one (a resumed run repeating steps after its checkpoint)
 * replaces every point from that step on, as the core's index does.
 *
 * Listeners hear about changes synchronously; charts batch their redraws themselves.
 */
export class SeriesBuffer {
  private xs = new Float64Array(256)
  private ys = new Float64Array(256)
  private count = 0
  private smoothedValues = new Float64Array(0)
  private smoothedWeight = Number.NaN
  private smoothedCount = 0
  private smoothingState: EmaState = emptyEma()
  private readonly listeners = new Set<() => void>()

  get length(): number {
    return this.count
  }

  /** The steps, as a view of the points held now (valid until the next change). */
  get x(): Float64Array {
    return this.xs.subarray(0, this.count)
  }

  /** The values (NaN where the runtime reported no finite value). */
  get y(): Float64Array {
    return this.ys.subarray(0, this.count)
  }

  lastX(): number | null {
    return this.count > 0 ? (this.xs[this.count - 1] ?? null) : null
  }

  lastY(): number | null {
    const value = this.count > 0 ? this.ys[this.count - 1] : undefined
    return value === undefined || Number.isNaN(value) ? null : value
  }

  append(x: number, y: number | null): void {
    this.put(x, y)
    this.notify()
  }

  /** Appends many points with one notification (a history load, or a burst of events). */
  appendMany(xs: ArrayLike<number>, ys: ArrayLike<number | null>): void {
    const length = Math.min(xs.length, ys.length)
    if (length === 0) return
    this.reserve(this.count + length)
    for (let index = 0; index < length; index++) this.put(xs[index] ?? 0, ys[index] ?? null)
    this.notify()
  }

  clear(): void {
    this.count = 0
    this.smoothedCount = 0
    this.smoothingState = emptyEma()
    this.notify()
  }

  /** The EMA of the values with this weight, extended incrementally as points arrive. */
  smoothed(weight: number): Float64Array {
    const w = clampSmoothing(weight)
    if (w !== this.smoothedWeight) {
      this.smoothedWeight = w
      this.smoothedCount = 0
      this.smoothingState = emptyEma()
    }
    if (this.smoothedValues.length < this.xs.length) {
      const grown = new Float64Array(this.xs.length)
      grown.set(this.smoothedValues.subarray(0, this.smoothedCount))
      this.smoothedValues = grown
    }
    emaInto(this.ys, this.smoothedValues, this.smoothedCount, this.count, w, this.smoothingState)
    this.smoothedCount = this.count
    return this.smoothedValues.subarray(0, this.count)
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private put(x: number, y: number | null): void {
    if (this.count > 0 && x <= (this.xs[this.count - 1] ?? Number.NEGATIVE_INFINITY)) this.truncateFrom(x)
    this.reserve(this.count + 1)
    this.xs[this.count] = x
    this.ys[this.count] = y === null || !Number.isFinite(y) ? Number.NaN : y
    this.count += 1
  }

  /** Drops every point at step `x` or later. */
  private truncateFrom(x: number): void {
    this.count = lowerBound(this.xs, this.count, x)
    if (this.smoothedCount > this.count) {
      // The EMA state cannot be rewound: recompute it on the next read.
      this.smoothedCount = 0
      this.smoothingState = emptyEma()
    }
  }

  private reserve(capacity: number): void {
    if (capacity <= this.xs.length) return
    let size = this.xs.length
    while (size < capacity) size *= 2
    const xs = new Float64Array(size)
    const ys = new Float64Array(size)
    xs.set(this.xs.subarray(0, this.count))
    ys.set(this.ys.subarray(0, this.count))
    this.xs = xs
    this.ys = ys
  }

  private notify(): void {
    for (const listener of this.listeners) listener()
  }
}

/** The first index in sorted `xs[0..count)` whose value is >= x. */
export function lowerBound(xs: ArrayLike<number>, count: number, x: number): number {
  let low = 0
  let high = count
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((xs[middle] ?? 0) < x) low = middle + 1
    else high = middle
  }
  return low
}

/** The first index in sorted `xs[0..count)` whose value is > x. */
export function upperBound(xs: ArrayLike<number>, count: number, x: number): number {
  let low = 0
  let high = count
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((xs[middle] ?? 0) <= x) low = middle + 1
    else high = middle
  }
  return low
}

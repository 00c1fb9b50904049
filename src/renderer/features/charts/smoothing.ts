/**
 * Exponential moving average as TensorBoard draws it: debiased, so the first points are not
 * pulled towards zero, and gaps (NaN: a step whose loss was not finite) stay gaps without
 * resetting the average. `weight` 0 is no smoothing; 0.99 is very smooth.
 */
export interface EmaState {
  average: number
  /** Sum of the weights given so far: dividing by it removes the bias towards the start value 0. */
  debias: number
}

export const emptyEma = (): EmaState => ({ average: 0, debias: 0 })

/** Feeds one value; returns the smoothed value (NaN for a gap). */
export function emaStep(state: EmaState, value: number, weight: number): number {
  if (!Number.isFinite(value)) return Number.NaN
  state.average = state.average * weight + (1 - weight) * value
  state.debias = state.debias * weight + (1 - weight)
  return state.average / state.debias
}

/** Smooths `values[from..count)` into `into`, continuing from `state` (which it advances). */
export function emaInto(values: ArrayLike<number>, into: Float64Array, from: number, count: number, weight: number, state: EmaState): void {
  for (let index = from; index < count; index++) into[index] = emaStep(state, values[index] ?? Number.NaN, weight)
}

/** Clamps a smoothing weight to what the EMA accepts: [0, 0.999]. */
export function clampSmoothing(weight: number): number {
  if (!Number.isFinite(weight)) return 0
  return Math.min(0.999, Math.max(0, weight))
}

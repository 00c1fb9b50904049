import { SeriesBuffer } from '../charts/series-buffer'

/**
 * The loss curves of the run on the Train screen. Kept out of the store on purpose: they are
 * large typed arrays that change every step, and the chart reads them directly (batched per
 * frame) instead of re-rendering React.
 */
export const liveCurves = {
  train: new SeriesBuffer(),
  eval: new SeriesBuffer()
}

export function clearLiveCurves(): void {
  liveCurves.train.clear()
  liveCurves.eval.clear()
}

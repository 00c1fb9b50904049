/**
 * Fits / tight / does not fit, from the memory a run needs on a device and the memory the
 * device offers.
 *
 * Thresholds (on required ÷ available, where required = reserved + CUDA context):
 * - fits: ≤ 90 %. The 10 % margin covers the estimator's typical error and batches a little
 *   longer than the statistics saw.
 * - tight: 90–100 %. The estimate says it fits, but an error within the estimator's accuracy
 *   or another program taking memory would make it run out.
 * - does not fit: > 100 %.
 */

import { formatGiB } from '../units'
export type Verdict = 'fits' | 'tight' | 'does-not-fit'

export const fitsThreshold = 0.9
export const tightThreshold = 1.0

export interface FitJudgement {
  verdict: Verdict
  requiredBytes: number
  availableBytes: number
  /** required ÷ available. */
  ratio: number
  /** One sentence for the user. */
  summary: string
}

const gib = (bytes: number): string => formatGiB(bytes, 1)

export function judgeFit(requiredBytes: number, availableBytes: number, deviceName: string): FitJudgement {
  const ratio = availableBytes > 0 ? requiredBytes / availableBytes : Number.POSITIVE_INFINITY
  const verdict: Verdict = ratio <= fitsThreshold ? 'fits' : ratio <= tightThreshold ? 'tight' : 'does-not-fit'
  const percent = Number.isFinite(ratio) ? `${Math.round(ratio * 100)} %` : 'all'
  const summary =
    verdict === 'fits'
      ? `Fits on ${deviceName}: needs ${gib(requiredBytes)} of ${gib(availableBytes)} (${percent}).`
      : verdict === 'tight'
        ? `Tight on ${deviceName}: needs ${gib(requiredBytes)} of ${gib(availableBytes)} (${percent}); it may run out of memory.`
        : `Does not fit on ${deviceName}: needs ${gib(requiredBytes)} but only ${gib(availableBytes)} is available.`
  return { verdict, requiredBytes, availableBytes, ratio, summary }
}

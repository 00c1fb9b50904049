import type { EstimateVerification } from '../contract/estimate-schemas'
import type { TimeEstimate } from '../estimator/time'
import type { VramEstimate } from '../estimator/vram'
import { compareWithEstimate, formatError } from './measured-vs-estimated'

/**
 * What a verification teaches Auto: how much more memory this model, data and device took than
 * the estimate said. Auto multiplies every candidate's estimated peak by `factor` before judging
 * it against its safety margin, so a configuration it picks after an over-budget measurement has
 * room for the same error.
 */
export interface MeasuredMemoryScale {
  /** measured ÷ estimated peak, never below 1. */
  factor: number
  /** One line for Auto's reasons: what was measured, and what Auto does with it. */
  reason: string
}

/**
 * The scale from a measurement of one configuration. A measurement below the estimate leaves
 * Auto's margin as it is (factor 1): one measured configuration is evidence that the estimate
 * was high for it, not that every larger one is safe, and the margin exists for what one
 * measurement cannot see (a longer batch later, another process on the GPU).
 */
export function measuredMemoryScale(vram: VramEstimate, time: TimeEstimate | null, verification: EstimateVerification, measuredWhat: string): MeasuredMemoryScale | null {
  const { total, totalError } = compareWithEstimate(vram, time, verification)
  if (totalError === null || total.measuredBytes === null) return null
  const where = verification.memory.kind === 'cuda' ? 'reserved on the GPU' : 'process memory'
  if (totalError <= 0) {
    return { factor: 1, reason: `Verified on this machine (${measuredWhat}): the measured peak (${where}) was ${formatError(totalError)} against the estimate, so Auto keeps its usual margin.` }
  }
  const factor = 1 + totalError
  return {
    factor,
    reason: `Verified on this machine (${measuredWhat}): the measured peak (${where}) was ${formatError(totalError)} above the estimate, so Auto counts every choice at ${factor.toFixed(2)}× its estimated peak.`
  }
}

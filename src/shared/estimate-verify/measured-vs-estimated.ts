import type { EstimateVerification } from '../contract/estimate-schemas'
import type { TimeEstimate } from '../estimator/time'
import type { VramEstimate, VramTermKey } from '../estimator/vram'

/**
 * The estimate and a verification's measurement side by side, in the groups a measurement can
 * tell apart: what the runtime holds before the model, what loading adds, what stays after the
 * first step, and what a step adds on top. The Parameters screen and `localtune estimate
 * --verify` both show these rows, so they cannot disagree.
 */

export interface ComparedRow {
  label: string
  estimatedBytes: number
  /** Null when this measurement cannot see that part (the CUDA context is outside the allocator). */
  measuredBytes: number | null
}

export interface MeasuredVsEstimated {
  rows: ComparedRow[]
  /** What must fit: the estimate's required memory against the measured peak. */
  total: ComparedRow
  /** measured ÷ estimated − 1 of the total; null when nothing comparable was measured. */
  totalError: number | null
  /** The time range turned into one figure: the run's tokens ÷ the measured tokens per second. */
  measuredSeconds: number | null
}

const groups: Array<{ label: string; keys: VramTermKey[]; measured: (m: EstimateVerification['memory']) => number | null }> = [
  { label: 'Runtime (Python, PyTorch)', keys: ['context'], measured: (m) => m.runtimeBytes },
  { label: 'Weights and adapters', keys: ['weights', 'loraAdapters'], measured: (m) => m.weightsBytes },
  { label: 'Optimizer state', keys: ['optimizerState', 'pagedOptimizerState'], measured: (m) => m.optimizerStateBytes },
  {
    label: 'During a step (gradients, activations, logits, temporaries)',
    // DDP's gradient buckets and FSDP's gathered layers exist only while a step runs.
    keys: ['gradients', 'activations', 'logitsAndLoss', 'workspace', 'autocastWeightCopies', 'allocatorSlack', 'ddpBuckets', 'fsdpGathered'],
    measured: (m) => m.stepBytes
  }
]

export function compareWithEstimate(vram: VramEstimate, time: TimeEstimate | null, verification: EstimateVerification): MeasuredVsEstimated {
  const { memory } = verification
  const cuda = memory.kind === 'cuda'
  const rows = groups
    .map((group) => ({
      label: group.label,
      estimatedBytes: vram.terms.filter((term) => group.keys.includes(term.key)).reduce((sum, term) => sum + term.bytes, 0),
      // On CUDA the allocator starts at zero: the runtime's own memory is the driver's, not measured here.
      measuredBytes: cuda && group.keys.includes('context') ? null : group.measured(memory)
    }))
    .filter((row) => row.estimatedBytes > 0 || (row.measuredBytes ?? 0) > 0)
  const total: ComparedRow = cuda
    ? { label: 'Peak reserved by PyTorch', estimatedBytes: vram.reservedBytes, measuredBytes: memory.reservedPeakBytes }
    : { label: 'Peak process memory', estimatedBytes: vram.requiredBytes, measuredBytes: memory.peakBytes }
  const totalError = total.measuredBytes !== null && total.estimatedBytes > 0 ? total.measuredBytes / total.estimatedBytes - 1 : null
  const measuredSeconds = time && verification.tokensPerSecond ? time.totalTokens / verification.tokensPerSecond : null
  return { rows, total, totalError, measuredSeconds }
}

/** "+12 %", "−8 %": the measurement relative to the estimate. */
export function formatError(error: number): string {
  const percent = Math.round(error * 100)
  return `${percent > 0 ? '+' : percent < 0 ? '−' : '±'}${Math.abs(percent)} %`
}

import { formatError } from '../../../shared/estimate-verify/measured-vs-estimated'
import { useRunEstimateError } from '../../stores/run-estimate-errors-store'
import { formatMemory } from '../parameters/estimate-labels'

/** History's "Estimate error" cell: the run's measured peak and step time against the estimate it started with. */
export function EstimateErrorCell({ runId }: { runId: string }) {
  const error = useRunEstimateError(runId)
  if (!error) return <td className="numeric muted" title="No estimate was recorded for this run (the demo, or settings changed for this run only)">—</td>
  const peak =
    error.peakError !== null && error.measuredPeakBytes !== null
      ? `peak ${formatError(error.peakError)}`
      : error.peakKind === 'process'
        ? 'peak not reported on the CPU'
        : 'peak not yet measured'
  const step = error.stepTimeError !== null ? `step ${formatError(error.stepTimeError)}${error.stepTimeWithinRange ? ' (in range)' : ''}` : null
  const title = [
    `Estimated peak ${formatMemory(error.estimatedPeakBytes)}${error.measuredPeakBytes !== null ? `, measured ${formatMemory(error.measuredPeakBytes)}` : ''} (${error.peakKind === 'gpu-allocated' ? 'GPU, allocated' : 'process memory'})`,
    error.estimatedSecondsPerStep ? `estimated ${error.estimatedSecondsPerStep.low.toFixed(2)}–${error.estimatedSecondsPerStep.high.toFixed(2)} s per step` : 'no time estimate',
    error.measuredSecondsPerStep !== null ? `measured ${error.measuredSecondsPerStep.toFixed(2)} s per step` : null,
    error.basis === 'measured' ? 'verified on this machine before creating the project' : 'estimate only'
  ]
    .filter(Boolean)
    .join('; ')
  return (
    <td className="numeric" data-testid="estimate-error" title={title}>
      {peak}
      {step && <span className="small muted"> · {step}</span>}
    </td>
  )
}

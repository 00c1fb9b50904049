import type { DeviceEstimate, VramTerm } from '../../../shared/estimator'
import { fitsThreshold } from '../../../shared/estimator'
import { formatMemory, verdictLabels } from './estimate-labels'

/**
 * The peak memory of one training step as a stacked bar against the device's memory: each
 * segment one term of the breakdown (CUDA context, weights, adapters, gradients, optimizer
 * state, activations, logits, slack), the device's capacity as the end of the track, the
 * 90 % "fits" line marked. `inUseBytes`: what other programs hold right now (live reading).
 */
export function VramBar({ estimate, detailed, inUseBytes }: { estimate: DeviceEstimate; detailed: boolean; inUseBytes: number | null }) {
  const { vram, fit, device } = estimate
  const capacity = device.memoryTotalBytes
  const occupied = Math.max(0, inUseBytes ?? (device.kind === 'gpu' ? (device.memoryUsedBytes ?? 0) : 0))
  const scale = Math.max(capacity, vram.nvidiaSmiBytes + occupied, 1)
  const percent = (bytes: number) => `${((bytes / scale) * 100).toFixed(3)}%`
  const terms = vram.terms.filter((term) => term.bytes > 0)
  const description = `${device.label}: needs ${formatMemory(vram.requiredBytes)} of ${formatMemory(estimate.availableBytes)} available. ${verdictLabels[fit.verdict]}.`
  return (
    <figure className={`vram-figure verdict-${fit.verdict}`} data-testid={`vram-${device.kind === 'gpu' ? `gpu-${device.index ?? 'named'}` : 'cpu'}`}>
      <figcaption className="vram-caption">
        <span>{device.label}</span>
        <span className="muted small">
          {formatMemory(vram.requiredBytes)} of {formatMemory(estimate.availableBytes)} available{device.kind === 'cpu' ? ' RAM' : ''}
        </span>
      </figcaption>
      <div className="vram-track" role="img" aria-label={description}>
        {occupied > 0 && <div className="vram-segment vram-occupied" style={{ width: percent(occupied) }} title={`In use by other programs: ${formatMemory(occupied)}`} />}
        {terms.map((term) => (
          <div key={term.key} className={`vram-segment term-${term.key}`} style={{ width: percent(term.bytes) }} title={`${term.label}: ${formatMemory(term.bytes)} — ${term.detail}`} />
        ))}
        <div className="vram-marker vram-fits-line" style={{ left: percent(occupied + fitsThreshold * estimate.availableBytes) }} title={`${Math.round(fitsThreshold * 100)} % of the available memory: above it the run is tight`} />
        {scale > capacity && <div className="vram-marker vram-capacity-line" style={{ left: percent(capacity) }} title={`The device's memory: ${formatMemory(capacity)}`} />}
      </div>
      {detailed && <VramLegend terms={terms} occupied={occupied} />}
    </figure>
  )
}

function VramLegend({ terms, occupied }: { terms: VramTerm[]; occupied: number }) {
  return (
    <table className="vram-legend">
      <caption className="sr-only">Memory breakdown at the peak</caption>
      <tbody>
        {occupied > 0 && (
          <tr>
            <th scope="row">
              <span className="swatch vram-occupied" aria-hidden="true" /> In use by other programs
            </th>
            <td>{formatMemory(occupied)}</td>
            <td className="muted small">live reading; not part of the run</td>
          </tr>
        )}
        {terms.map((term) => (
          <tr key={term.key} data-testid={`term-${term.key}`}>
            <th scope="row">
              <span className={`swatch term-${term.key}`} aria-hidden="true" /> {term.label}
            </th>
            <td>{formatMemory(term.bytes)}</td>
            <td className="muted small">{term.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

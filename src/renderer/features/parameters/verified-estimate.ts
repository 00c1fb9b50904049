import type { EstimateVerification, RequestOf, SingleDeviceChoice } from '../../../shared/contract'
import type { ReadyEstimate } from './estimate-view'

type VerifiedEstimate = RequestOf<'projects.create'>['estimate']

/** The verdict as the projects contract spells it. */
export function contractVerdict(verdict: ReadyEstimate['chosen']['fit']['verdict']): VerifiedEstimate['verdict'] {
  return verdict === 'does-not-fit' ? 'does_not_fit' : verdict
}

/** Where the run trains, as runs.* and projects.start-run take it. */
export function deviceChoiceOf(view: ReadyEstimate): SingleDeviceChoice {
  const device = view.chosen.device
  return device.kind === 'gpu' && device.index !== null ? { kind: 'gpu', index: device.index } : { kind: 'cpu' }
}

/**
 * Whether Create Project may proceed for this estimate: it fits (and a measurement of exactly it,
 * if there is one, fits too), or the user accepted the risk for exactly it.
 */
export function gateOpen(view: ReadyEstimate, riskAcceptedFor: string | null, measured: EstimateVerification | null = null): boolean {
  if (view.blocker) return false
  return (view.chosen.fit.verdict === 'fits' && measured?.fits !== false) || riskAcceptedFor === view.signature
}

/** The verdict that counts: a measurement that does not fit overrides an estimate that does. */
export function effectiveVerdict(view: ReadyEstimate, measured: EstimateVerification | null): VerifiedEstimate['verdict'] {
  return measured && !measured.fits ? 'does_not_fit' : contractVerdict(view.chosen.fit.verdict)
}

/**
 * The estimate exactly as the panel shows it, saved with the project so a run can later be
 * compared with what was promised (breakdown, time range, token statistics, Auto's reasons).
 */
export function verifiedEstimateOf(view: ReadyEstimate, riskAccepted: boolean, mode: 'auto' | 'manual', measured: EstimateVerification | null = null): VerifiedEstimate {
  const { chosen, tokenStats } = view
  const verdict = effectiveVerdict(view, measured)
  return {
    verdict,
    measured,
    peakBytes: chosen.vram.requiredBytes,
    deviceMemoryBytes: chosen.availableBytes,
    deviceLabel: chosen.device.label,
    riskAccepted: riskAccepted && verdict !== 'fits',
    details: {
      mode,
      device: deviceChoiceOf(view),
      summary: chosen.fit.summary,
      ratio: chosen.fit.ratio,
      method: view.method,
      precision: chosen.vram.precision,
      peakPhase: chosen.vram.peakPhase,
      allocatedBytes: chosen.vram.allocatedBytes,
      reservedBytes: chosen.vram.reservedBytes,
      nvidiaSmiBytes: chosen.vram.nvidiaSmiBytes,
      terms: chosen.vram.terms,
      notes: chosen.vram.notes,
      time: chosen.time ? { lowSeconds: chosen.time.lowSeconds, highSeconds: chosen.time.highSeconds, optimizerSteps: chosen.time.optimizerSteps, basis: chosen.time.basis } : null,
      timeUnavailable: chosen.timeUnavailable,
      cpuNote: chosen.cpuNote,
      suggestions: chosen.suggestions.map((suggestion) => ({ change: suggestion.change, newPeakBytes: suggestion.newPeakBytes, verdict: suggestion.verdict })),
      tokenStats: {
        exampleCount: tokenStats.exampleCount,
        totalTokens: tokenStats.totalTokens,
        p50Tokens: tokenStats.p50Tokens,
        p95Tokens: tokenStats.p95Tokens,
        maxTokens: tokenStats.maxTokens,
        approximate: tokenStats.approximate,
        method: tokenStats.method,
        truncatedAtMaxLength: view.truncated
      },
      autoChoices: mode === 'auto' ? view.auto.choices : null
    }
  }
}

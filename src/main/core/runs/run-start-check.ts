import type { PythonRuntimeStatus } from '../../../shared/contract'
import type { RunSettings } from '../../../shared/contract/runs'
import type { RuleDevice } from '../../../shared/estimator/device-rules'
import { trainingDeviceProblems } from '../../../shared/estimator/device-rules'
import { TINY_DEMO_MODEL_ID } from '../../../shared/run-config/run-config-schema'
import { runtimeGpuMismatch } from '../runtime/python-discovery'
import type { RunPlacement } from './run-placement'

/**
 * Whether a run with these settings can start on this device with this runtime, checked before
 * its folder and row exist: a run that cannot start is refused with the reason, rather than
 * created, queued and failed at step 0 with "Resume it" offered for something resuming cannot fix.
 * The rules are the ones the Parameters screen and `localtune estimate` apply (device-rules.ts).
 *
 * Returns null when it can start, or when the runtime is not known yet (no Python found: the
 * attempt then fails with the runtime's own explanation, as before).
 */
export function runStartProblem(settings: RunSettings, placement: RunPlacement, python: PythonRuntimeStatus): string | null {
  if (!python.found || !python.torchVersion) return null
  const demo = settings.model.id === TINY_DEMO_MODEL_ID
  const precision = settings.params?.precision ?? 'auto'
  const method = settings.method
  const fullWeights = settings.params?.full_weights ?? 'fp32'
  if (placement.gpus.length === 0) {
    const problems = trainingDeviceProblems({ method, precision, fullWeights, demo }, { kind: 'cpu' })
    return problems.length === 0 ? null : `This run cannot start on the CPU: ${problems.map((problem) => problem.message).join(' ')}`
  }
  const named = placement.gpus.map((index) => `GPU ${index}`)
  if (!python.cudaAvailable) {
    const mismatch = runtimeGpuMismatch(python, named)
    return `This run cannot start on ${named.join(', ')}: ${mismatch?.message ?? 'the training runtime cannot use CUDA.'} ${mismatch?.fix ?? ''} Or train on the CPU (\`--cpu\`, or the CPU as device).`.trim()
  }
  const missing = placement.gpus.filter((index) => !python.gpus.some((gpu) => gpu.index === index))
  if (missing.length > 0) {
    const seen = python.gpus.map((candidate) => `GPU ${candidate.index}: ${candidate.name}`).join(', ') || 'none'
    return `This run cannot start on ${missing.map((index) => `GPU ${index}`).join(', ')}: the training runtime does not see ${missing.length === 1 ? 'it' : 'them'} (it sees ${seen}). Choose one of those, or check CUDA_VISIBLE_DEVICES.`
  }
  // Every rank runs the same recipe, so each GPU must allow it (a mixed machine may have one without bf16).
  for (const index of placement.gpus) {
    const gpu = python.gpus.find((candidate) => candidate.index === index)!
    const ruleDevice: RuleDevice = { kind: 'gpu', label: `GPU ${gpu.index}: ${gpu.name}`, bf16Supported: gpu.bf16Supported }
    const problems = trainingDeviceProblems({ method, precision, fullWeights, demo }, ruleDevice)
    if (problems.length > 0) return `This run cannot start on ${ruleDevice.label}: ${problems.map((problem) => problem.message).join(' ')}`
  }
  return null
}

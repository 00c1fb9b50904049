import type { PythonRuntimeStatus } from '../../../shared/contract'
import type { DeviceChoice, RunSettings } from '../../../shared/contract/runs'
import type { RuleDevice } from '../../../shared/estimator/device-rules'
import { trainingDeviceProblems } from '../../../shared/estimator/device-rules'
import { TINY_DEMO_MODEL_ID } from '../../../shared/run-config/run-config-schema'
import { runtimeGpuMismatch } from '../runtime/python-discovery'

/**
 * Whether a run with these settings can start on this device with this runtime, checked before
 * its folder and row exist: a run that cannot start is refused with the reason, rather than
 * created, queued and failed at step 0 with "Resume it" offered for something resuming cannot fix.
 * The rules are the ones the Parameters screen and `localtune estimate` apply (device-rules.ts).
 *
 * Returns null when it can start, or when the runtime is not known yet (no Python found: the
 * attempt then fails with the runtime's own explanation, as before).
 */
export function runStartProblem(settings: RunSettings, device: DeviceChoice, python: PythonRuntimeStatus): string | null {
  if (!python.found || !python.torchVersion) return null
  const demo = settings.model.id === TINY_DEMO_MODEL_ID
  const precision = settings.params?.precision ?? 'auto'
  let ruleDevice: RuleDevice
  let where: string
  if (device.kind === 'cpu') {
    ruleDevice = { kind: 'cpu' }
    where = 'the CPU'
  } else {
    const gpu = python.gpus.find((candidate) => candidate.index === device.index)
    if (!python.cudaAvailable) {
      const mismatch = runtimeGpuMismatch(python, [`GPU ${device.index}`])
      return `This run cannot start on GPU ${device.index}: ${mismatch?.message ?? 'the training runtime cannot use CUDA.'} ${mismatch?.fix ?? ''} Or train on the CPU (\`--cpu\`, or the CPU as device).`.trim()
    }
    if (!gpu) {
      const seen = python.gpus.map((candidate) => `GPU ${candidate.index}: ${candidate.name}`).join(', ') || 'none'
      return `This run cannot start on GPU ${device.index}: the training runtime does not see it (it sees ${seen}). Choose one of those, or check CUDA_VISIBLE_DEVICES.`
    }
    ruleDevice = { kind: 'gpu', label: `GPU ${gpu.index}: ${gpu.name}`, bf16Supported: gpu.bf16Supported }
    where = ruleDevice.label
  }
  const method = settings.method
  const problems = trainingDeviceProblems({ method, precision, demo }, ruleDevice)
  if (problems.length === 0) return null
  return `This run cannot start on ${where}: ${problems.map((problem) => problem.message).join(' ')}`
}

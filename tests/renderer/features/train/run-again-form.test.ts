import { describe, expect, it } from 'vitest'
import type { HardwareSnapshot } from '../../../../src/shared/hardware/types'
import { withDefaultParams } from '../../../../src/shared/run-config/run-config-schema'
import { fieldsFromRun, runAgainDevices, runAgainRequestFrom } from '../../../../src/renderer/features/train/run-again-form'

const params = withDefaultParams({ learning_rate: 0.002, max_steps: 6, micro_batch_size: 8, max_length: 384 })
const loraRun = { config: { params, method: 'lora' as const, merge: false }, deviceKey: 'cpu', demo: false }
const GiB = 1024 ** 3
const t4Machine: HardwareSnapshot = {
  takenAt: '2026-12-03T00:00:00Z',
  gpus: [{ index: 0, name: 'Tesla T4', memoryTotalBytes: 15 * GiB, memoryUsedBytes: 0, memoryFreeBytes: 15 * GiB, driverVersion: '550', computeCapability: '7.5', utilizationPercent: 0, migEnabled: false, source: 'nvidia-smi' }],
  gpuStatus: { code: 'ok', message: '1 NVIDIA GPU', action: null },
  cpu: { model: 'Test CPU', physicalCores: 4, logicalCores: 8 },
  memoryTotalBytes: 32 * GiB,
  memoryAvailableBytes: 24 * GiB,
  mode: 'gpu'
}

describe('run again with changes', () => {
  const cpuOnly = runAgainDevices(null, 'cpu')

  it('starts from the run’s own settings and sends nothing when nothing changed', () => {
    const fields = fieldsFromRun(loraRun.config, 'cpu')
    expect(fields).toEqual({ learningRate: '0.002', epochs: '1', maxSteps: '6', microBatchSize: '8', maxLength: '384', method: 'lora', precision: 'auto', deviceKey: 'cpu', merge: false })
    expect(runAgainRequestFrom(fields, loraRun, cpuOnly)).toEqual({ patch: {}, changes: {}, errors: {} })
  })

  it('sends only the changed params, and an empty max steps trains by epochs', () => {
    const fields = { ...fieldsFromRun(loraRun.config, 'cpu'), learningRate: '1e-3', maxSteps: '', epochs: '3' }
    expect(runAgainRequestFrom(fields, loraRun, cpuOnly)).toEqual({ patch: { learning_rate: 0.001, max_steps: null, epochs: 3 }, changes: {}, errors: {} })
  })

  it('changes precision, method, device and merge: the fixes a failed run asks for, without a new project', () => {
    const gpuRun = { ...loraRun, config: { ...loraRun.config, method: 'qlora' as const, params: { ...params, precision: 'fp16' as const } }, deviceKey: 'cuda:0' }
    const devices = runAgainDevices(t4Machine, 'cuda:0')
    expect(devices.map((device) => device.key)).toEqual(['cpu', 'cuda:0'])
    const fields = { ...fieldsFromRun(gpuRun.config, 'cuda:0'), method: 'lora' as const, precision: 'fp32' as const, deviceKey: 'cpu', merge: true }
    expect(runAgainRequestFrom(fields, gpuRun, devices)).toEqual({ patch: { precision: 'fp32' }, changes: { method: 'lora', device: { kind: 'cpu' }, merge: true }, errors: {} })
  })

  it('refuses what the chosen device cannot train, with the same rule as everywhere', () => {
    const devices = runAgainDevices(t4Machine, 'cpu')
    const qloraOnCpu = runAgainRequestFrom({ ...fieldsFromRun(loraRun.config, 'cpu'), method: 'qlora' }, loraRun, devices)
    expect(qloraOnCpu.errors.method).toBe('QLoRA (4-bit bitsandbytes) needs an NVIDIA GPU with CUDA; on the CPU choose LoRA or Full.')
    const bf16OnT4 = runAgainRequestFrom({ ...fieldsFromRun(loraRun.config, 'cpu'), deviceKey: 'cuda:0', precision: 'bf16' }, loraRun, devices)
    expect(bf16OnT4.errors.precision).toBe('GPU 0: Tesla T4 has no bf16 (it needs compute capability 8.0 or newer); choose "auto" or fp16.')
  })

  it('offers no GPU the training runtime cannot use, but keeps the earlier run’s device', () => {
    expect(runAgainDevices({ ...t4Machine, mode: 'cpu', gpuStatus: { code: 'runtime-without-cuda', message: 'CPU-only torch', action: null } }, 'cpu').map((device) => device.key)).toEqual(['cpu'])
    expect(runAgainDevices(null, 'cuda:1').map((device) => device.label)).toEqual(['CPU', 'cuda:1 (as before)'])
  })

  it('says what is wrong with each field', () => {
    const fields = { ...fieldsFromRun(loraRun.config, 'cpu'), learningRate: '0', epochs: '1.5', maxSteps: 'x', microBatchSize: '', maxLength: '4' }
    const { errors, patch } = runAgainRequestFrom(fields, loraRun, cpuOnly)
    expect(Object.keys(errors).sort()).toEqual(['epochs', 'learningRate', 'maxLength', 'maxSteps', 'microBatchSize'])
    expect(patch).toEqual({})
  })
})

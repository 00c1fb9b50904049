import { describe, expect, it } from 'vitest'
import { cpuPracticalParameterLimit, cpuTrainingNote, methodsForDevice, trainingDeviceProblems } from '../../../src/shared/estimator/device-rules'
import { estimateTraining } from '../../../src/shared/estimator/estimate-training'
import { tinyDemoArchitecture } from '../../../src/shared/estimator/tiny-demo'
import { summariseTokenCounts } from '../../../src/shared/estimator/token-stats'

const turing = { kind: 'gpu' as const, label: 'GPU 0: Tesla T4', bf16Supported: false }
const ampere = { kind: 'gpu' as const, label: 'GPU 0: NVIDIA A100', bf16Supported: true }

describe('what a device can train (one rule for the app, the CLI and the run supervisor)', () => {
  it('QLoRA needs CUDA and a real model', () => {
    expect(trainingDeviceProblems({ method: 'qlora', precision: 'auto', demo: false }, { kind: 'cpu' })).toEqual([
      { field: 'method', message: 'QLoRA (4-bit bitsandbytes) needs an NVIDIA GPU with CUDA; on the CPU choose LoRA or Full.' }
    ])
    expect(trainingDeviceProblems({ method: 'qlora', precision: 'auto', demo: true }, ampere).map((problem) => problem.message)).toEqual([
      'QLoRA needs a real model quantised to 4 bits; the tiny demo model trains with Full or LoRA.'
    ])
    expect(trainingDeviceProblems({ method: 'qlora', precision: 'auto', demo: false }, ampere)).toEqual([])
  })

  it('half precision needs a GPU, and bf16 one of compute capability 8.0 or newer', () => {
    expect(trainingDeviceProblems({ method: 'lora', precision: 'fp16', demo: false }, { kind: 'cpu' })[0]).toMatchObject({ field: 'precision', message: 'fp16 needs a CUDA GPU; on the CPU choose "auto" or fp32.' })
    expect(trainingDeviceProblems({ method: 'lora', precision: 'bf16', demo: false }, turing)[0]?.message).toBe('GPU 0: Tesla T4 has no bf16 (it needs compute capability 8.0 or newer); choose "auto" or fp16.')
    expect(trainingDeviceProblems({ method: 'full', precision: 'fp32', demo: false }, { kind: 'cpu' })).toEqual([])
  })

  it('pure bf16 (full_weights "bf16") computes in bf16 anywhere: it needs bf16 on the device and a bf16 precision', () => {
    const pure = { method: 'full' as const, precision: 'auto' as const, demo: false, fullWeights: 'bf16' as const }
    expect(trainingDeviceProblems(pure, ampere)).toEqual([])
    expect(trainingDeviceProblems(pure, turing)).toEqual([
      { field: 'full_weights', message: 'GPU 0: Tesla T4 has no bf16 (it needs compute capability 8.0 or newer), and pure bf16 weights need it; choose fp32 master weights.' }
    ])
    // The runtime trains pure bf16 on the CPU in bf16, so precision bf16 is not refused there; a CPU without native bf16 is.
    expect(trainingDeviceProblems({ ...pure, precision: 'bf16' }, { kind: 'cpu' })).toEqual([])
    expect(trainingDeviceProblems({ ...pure, precision: 'bf16' }, { kind: 'cpu', bf16Supported: true })).toEqual([])
    expect(trainingDeviceProblems(pure, { kind: 'cpu', bf16Supported: false })).toEqual([
      { field: 'full_weights', message: 'This CPU has no native bf16, so pure bf16 weights would train about 50 times slower than fp32; choose fp32 master weights.' }
    ])
    expect(trainingDeviceProblems({ ...pure, precision: 'fp16' }, ampere).map((problem) => problem.field)).toEqual(['precision'])
    expect(trainingDeviceProblems({ ...pure, precision: 'fp32' }, { kind: 'cpu' }).map((problem) => problem.field)).toEqual(['precision'])
    // fp32 master weights keep the old rules; LoRA ignores full_weights.
    expect(trainingDeviceProblems({ ...pure, fullWeights: 'fp32', precision: 'bf16' }, { kind: 'cpu' }).map((problem) => problem.field)).toEqual(['precision'])
    expect(trainingDeviceProblems({ ...pure, method: 'lora', precision: 'bf16' }, turing).map((problem) => problem.field)).toEqual(['precision'])
  })

  it('says what pure bf16 on the CPU means when the CPU may lack bf16', () => {
    expect(cpuTrainingNote(134_515_008, false, { bf16Supported: null })).toContain('about 50 times slower')
    expect(cpuTrainingNote(134_515_008, false, { bf16Supported: true })).toContain('in pure bf16. That works')
  })

  it('the estimate applies the rule and the bf16 time to a pure bf16 run on the CPU', () => {
    const tokenStats = summariseTokenCounts(Array.from({ length: 100 }, () => 64), { approximate: false, method: 'test' })
    const params = { method: 'full' as const, precision: 'auto' as const, full_weights: 'bf16' as const, max_length: 64, micro_batch_size: 4, gradient_accumulation_steps: 1, epochs: 1, max_steps: null, lora: { r: 8, alpha: 16, dropout: 0, target_modules: 'all-linear' as const }, gradient_checkpointing: false, packing: false, attention: 'auto' as const }
    const cpu = (bf16Supported: boolean | null) => ({ kind: 'cpu' as const, label: 'CPU: test', memoryTotalBytes: 8 * 1024 ** 3, cores: 4, bf16Supported })
    const [without, unknown, native] = [false, null, true].map((support) => estimateTraining({ model: tinyDemoArchitecture, params, devices: [cpu(support)], tokenStats }).devices[0])
    expect(without?.cannotTrain).toContain('no native bf16')
    expect(unknown?.cannotTrain).toBeNull()
    expect(unknown?.cpuNote).toContain('about 50 times slower')
    expect(native?.cpuNote).toBeNull()
    expect(unknown?.vram.precision).toBe('bf16')
    expect((unknown?.time?.highSeconds ?? 0) / (native?.time?.highSeconds ?? 1)).toBeGreaterThan(40)
  })

  it('Auto tries only what the device can train, fastest first', () => {
    expect(methodsForDevice({ kind: 'cpu' }, false)).toEqual(['lora'])
    expect(methodsForDevice(ampere, false)).toEqual(['lora', 'qlora'])
    expect(methodsForDevice(ampere, true)).toEqual(['full'])
  })

  it('says what CPU training of a real model means, by its size', () => {
    expect(cpuTrainingNote(990_464, true)).toBeNull()
    expect(cpuTrainingNote(134_515_008, false)).toBe(
      'No NVIDIA GPU in use: this run trains on the CPU, in fp32. That works for a model of 135M parameters, but slowly (the estimated time is for this CPU, not counting the time to load the model); an NVIDIA GPU would be tens of times faster.'
    )
    expect(cpuTrainingNote(cpuPracticalParameterLimit + 1, false)).toContain('practical only on an NVIDIA GPU')
    expect(cpuTrainingNote(null, false)).toContain('For this model that takes very long')
  })
})

import type { TrainingMethod } from '../run-config'
import type { DeviceTarget } from './device-target'
import { formatParameterCount } from './model-catalog-entry'
import type { TrainingPrecision } from './training-params'

/**
 * What a device can train, in one place. The Manual form, Auto, `localtune estimate`, the run
 * supervisor (before a run is created) and "Run again with changes" all ask these functions, so
 * the app, the CLI and the runtime never disagree on whether, say, QLoRA can run on this machine.
 */

/**
 * Where a run would train, as far as these rules care. A CPU's `bf16Supported` says whether its
 * cores do bf16 natively (AVX512-BF16, AMX, Arm BF16); left out or null when unknown.
 */
export type RuleDevice = { kind: 'cpu'; bf16Supported?: boolean | null } | { kind: 'gpu'; label: string; bf16Supported: boolean | null }

/** A device target (a detected or named GPU, or the CPU) as these rules see it. */
export function ruleDevice(device: DeviceTarget): RuleDevice {
  return device.kind === 'cpu' ? { kind: 'cpu', bf16Supported: device.bf16Supported ?? null } : { kind: 'gpu', label: device.label, bf16Supported: device.bf16Supported }
}

export interface TrainingChoice {
  method: TrainingMethod
  precision: TrainingPrecision
  /** The built-in tiny demo model. */
  demo: boolean
  /** run.json's params.full_weights: "bf16" is pure bf16 full finetuning; left out means "fp32". */
  fullWeights?: 'fp32' | 'bf16'
}

export interface DeviceRuleProblem {
  field: 'method' | 'precision' | 'full_weights'
  /** A sentence for the user: what cannot be, and what to choose instead (no field prefix). */
  message: string
}

export const qloraNeedsGpuMessage = 'QLoRA (4-bit bitsandbytes) needs an NVIDIA GPU with CUDA; on the CPU choose LoRA or Full.'
export const qloraNeedsRealModelMessage = 'QLoRA needs a real model quantised to 4 bits; the tiny demo model trains with Full or LoRA.'

/** Pure bf16 is full finetuning with full_weights "bf16"; LoRA and QLoRA ignore full_weights. */
export function isPureBf16(choice: Pick<TrainingChoice, 'method' | 'fullWeights'>): boolean {
  return choice.method === 'full' && choice.fullWeights === 'bf16'
}

/** Every reason this method and precision cannot train on this device; empty when they can. */
export function trainingDeviceProblems(choice: TrainingChoice, device: RuleDevice): DeviceRuleProblem[] {
  const problems: DeviceRuleProblem[] = []
  if (choice.method === 'qlora') {
    if (choice.demo) problems.push({ field: 'method', message: qloraNeedsRealModelMessage })
    else if (device.kind === 'cpu') problems.push({ field: 'method', message: qloraNeedsGpuMessage })
  }
  if (isPureBf16(choice)) {
    // The runtime (precision.py, choose_compute) computes pure bf16 in bf16 on any device, and
    // refuses fp16/fp32 compute for bf16 weights.
    if (choice.precision === 'fp16' || choice.precision === 'fp32') {
      problems.push({ field: 'precision', message: `Pure bf16 weights (full_weights "bf16") compute in bf16; precision ${choice.precision} cannot go with them. Choose "auto" or bf16, or fp32 master weights.` })
    }
    if (device.kind === 'gpu' && device.bf16Supported === false) {
      problems.push({ field: 'full_weights', message: `${device.label} has no bf16 (it needs compute capability 8.0 or newer), and pure bf16 weights need it; choose fp32 master weights.` })
    } else if (device.kind === 'cpu' && device.bf16Supported === false) {
      // Measured: PyTorch's bf16 matmul without native support runs at about 1/50 of fp32 (time.ts, cpuBf16SpeedFactor).
      problems.push({ field: 'full_weights', message: 'This CPU has no native bf16, so pure bf16 weights would train about 50 times slower than fp32; choose fp32 master weights.' })
    }
    return problems
  }
  if (device.kind === 'cpu' && (choice.precision === 'bf16' || choice.precision === 'fp16')) {
    problems.push({ field: 'precision', message: `${choice.precision} needs a CUDA GPU; on the CPU choose "auto" or fp32.` })
  } else if (device.kind === 'gpu' && choice.precision === 'bf16' && device.bf16Supported === false) {
    problems.push({ field: 'precision', message: `${device.label} has no bf16 (it needs compute capability 8.0 or newer); choose "auto" or fp16.` })
  }
  return problems
}

/** The methods that can train this model on this device, fastest first (Auto tries them in this order). */
export function methodsForDevice(device: RuleDevice, demo: boolean): TrainingMethod[] {
  // LoRA first: no weight gradients for the base and no 4-bit dequantisation; full finetuning
  // only where it is the sensible default (the tiny demo: random weights, ~1M parameters).
  const order: TrainingMethod[] = demo ? ['full'] : ['lora', 'qlora']
  return order.filter((method) => trainingDeviceProblems({ method, precision: 'auto', demo }, device).length === 0)
}

/**
 * Models up to this size train on a CPU in hours, not weeks, for a dataset of a few thousand
 * short examples (SmolLM2-135M LoRA: seconds per step on 2 cores; Qwen2.5-0.5B about 4× that).
 * Larger models still may train on a CPU when they fit in RAM; the estimate's time says how long.
 */
export const cpuPracticalParameterLimit = 1_000_000_000

export function cpuPractical(parameterCount: number | null): boolean {
  return parameterCount !== null && parameterCount <= cpuPracticalParameterLimit
}

/**
 * What to tell a user whose run of a real model trains on the CPU, beside the estimate's time:
 * that it works, that it is slow, and what a GPU would change. The demo needs no note.
 */
export function cpuTrainingNote(parameterCount: number | null, demo: boolean, pureBf16: { bf16Supported: boolean | null } | null = null): string | null {
  if (pureBf16 && pureBf16.bf16Supported !== true) {
    // Unknown support: say what decides the time, which spans both cases (time.ts, cpuBf16SpeedFactor).
    return 'No NVIDIA GPU in use: this run trains on the CPU in pure bf16. A CPU with native bf16 (AVX512-BF16 or AMX) runs it at least as fast as fp32; one without (most desktop CPUs) about 50 times slower, which is why the estimated time spans so wide. fp32 master weights avoid the risk.'
  }
  if (demo) return null
  const dtype = pureBf16 ? 'pure bf16' : 'fp32'
  const size = parameterCount === null ? 'this model' : `a model of ${formatParameterCount(parameterCount)} parameters`
  if (cpuPractical(parameterCount)) {
    return `No NVIDIA GPU in use: this run trains on the CPU, in ${dtype}. That works for ${size}, but slowly (the estimated time is for this CPU, not counting the time to load the model); an NVIDIA GPU would be tens of times faster.`
  }
  return `No NVIDIA GPU in use: this run trains on the CPU, in ${dtype}. For ${size} that takes very long (see the estimated time) and holds every weight in RAM; models above ${formatParameterCount(cpuPracticalParameterLimit)} parameters are practical only on an NVIDIA GPU.`
}

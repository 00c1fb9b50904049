import type { TrainingMethod } from '../run-config'
import type { DeviceTarget } from './device-target'
import { formatParameterCount } from './model-catalog-entry'
import type { TrainingPrecision } from './training-params'

/**
 * What a device can train, in one place. The Manual form, Auto, `localtune estimate`, the run
 * supervisor (before a run is created) and "Run again with changes" all ask these functions, so
 * the app, the CLI and the runtime never disagree on whether, say, QLoRA can run on this machine.
 */

/** Where a run would train, as far as these rules care. */
export type RuleDevice = { kind: 'cpu' } | { kind: 'gpu'; label: string; bf16Supported: boolean | null }

/** A device target (a detected or named GPU, or the CPU) as these rules see it. */
export function ruleDevice(device: DeviceTarget): RuleDevice {
  return device.kind === 'cpu' ? { kind: 'cpu' } : { kind: 'gpu', label: device.label, bf16Supported: device.bf16Supported }
}

export interface TrainingChoice {
  method: TrainingMethod
  precision: TrainingPrecision
  /** The built-in tiny demo model. */
  demo: boolean
}

export interface DeviceRuleProblem {
  field: 'method' | 'precision'
  /** A sentence for the user: what cannot be, and what to choose instead (no field prefix). */
  message: string
}

export const qloraNeedsGpuMessage = 'QLoRA (4-bit bitsandbytes) needs an NVIDIA GPU with CUDA; on the CPU choose LoRA or Full.'
export const qloraNeedsRealModelMessage = 'QLoRA needs a real model quantised to 4 bits; the tiny demo model trains with Full or LoRA.'

/** Every reason this method and precision cannot train on this device; empty when they can. */
export function trainingDeviceProblems(choice: TrainingChoice, device: RuleDevice): DeviceRuleProblem[] {
  const problems: DeviceRuleProblem[] = []
  if (choice.method === 'qlora') {
    if (choice.demo) problems.push({ field: 'method', message: qloraNeedsRealModelMessage })
    else if (device.kind === 'cpu') problems.push({ field: 'method', message: qloraNeedsGpuMessage })
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
export function cpuTrainingNote(parameterCount: number | null, demo: boolean): string | null {
  if (demo) return null
  const size = parameterCount === null ? 'this model' : `a model of ${formatParameterCount(parameterCount)} parameters`
  if (cpuPractical(parameterCount)) {
    return `No NVIDIA GPU in use: this run trains on the CPU, in fp32. That works for ${size}, but slowly (the estimated time is for this CPU, not counting the time to load the model); an NVIDIA GPU would be tens of times faster.`
  }
  return `No NVIDIA GPU in use: this run trains on the CPU, in fp32. For ${size} that takes very long (see the estimated time) and holds every weight in RAM; models above ${formatParameterCount(cpuPracticalParameterLimit)} parameters are practical only on an NVIDIA GPU.`
}

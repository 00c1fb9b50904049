import type { DeviceTarget } from './device-target'
import { availableBytes } from './device-target'
import { cpuTrainingNote, isPureBf16, ruleDevice, trainingDeviceProblems } from './device-rules'
import type { ModelArchitecture } from './model-architecture'
import type { Suggestion } from './suggestions'
import { suggestChanges } from './suggestions'
import type { TimeEstimate } from './time'
import { estimateTime } from './time'
import type { TokenStats } from './token-stats'
import type { EstimateParams } from './training-params'
import type { TrainingStack } from './training-stack'
import type { FitJudgement } from './verdict'
import { judgeFit } from './verdict'
import type { Parallelism, VramEstimate } from './vram'
import { estimateVram, normaliseRanks } from './vram'

/**
 * The one call the UI panel and `localtune estimate` make: memory breakdown, verdict, time
 * range and suggestions for each device. Pure and instant (no I/O), so the UI can re-run it on
 * every parameter change.
 */

export interface DeviceEstimate {
  device: DeviceTarget
  availableBytes: number
  vram: VramEstimate
  fit: FitJudgement
  /** Null when it cannot be estimated; `timeUnavailable` says why. */
  time: TimeEstimate | null
  timeUnavailable: string | null
  /** Empty when the run fits. */
  suggestions: Suggestion[]
  /**
   * Why this method or precision cannot train on this device at all (QLoRA or half precision on
   * the CPU, bf16 on a GPU without it), whatever the memory says; null when it can. From the
   * one rule in device-rules.ts that the app, the CLI and the run supervisor share.
   */
  cannotTrain: string | null
  /** For a real model on the CPU: that it works, slowly, and what a GPU would change; else null. */
  cpuNote: string | null
}

export interface TrainingEstimateInput {
  model: ModelArchitecture
  /** Exact parameter count from the safetensors headers, when known. */
  parameterCount?: number | null
  params: EstimateParams
  devices: DeviceTarget[]
  /** Token statistics of train.jsonl; without them the peak assumes full max_length rows and time is not estimated. */
  tokenStats?: TokenStats | null
  stack?: Partial<TrainingStack>
  /**
   * torchrun ranks the run uses (`localtune train --gpus 0,1,2,3` is 4; `--nnodes 2` with 4 GPUs
   * each is 8; CPU `--processes N` is N). Default 1. Each device in `devices` is then judged as
   * one rank: memory per GPU, and time for `ranks` such devices together.
   */
  ranks?: number
  /** Machines those ranks are spread over (`--nnodes`); default 1. Only the time depends on it. */
  nodes?: number
  /** How the ranks share the model; default what LocalTune's runtime does for the method (DDP for adapters, FSDP for full). */
  parallelism?: Parallelism
}

export interface TrainingEstimate {
  params: EstimateParams
  devices: DeviceEstimate[]
  /** The device the UI should show first: the first that fits, else the one closest to fitting. */
  best: DeviceEstimate | null
}

export function estimateTraining(input: TrainingEstimateInput): TrainingEstimate {
  const devices = input.devices.map((device): DeviceEstimate => {
    const vram = estimateVram({
      model: input.model,
      params: input.params,
      device: device.kind,
      bf16Supported: device.kind === 'gpu' ? device.bf16Supported : null,
      longestExampleTokens: input.tokenStats?.maxTokens ?? null,
      parameterCount: input.parameterCount ?? null,
      stack: input.stack,
      ranks: input.ranks,
      parallelism: input.parallelism
    })
    const available = availableBytes(device)
    // CPU ranks (--processes) each hold their own copy in the same machine's RAM.
    const ranksHere = device.kind === 'cpu' ? Math.ceil(normaliseRanks(input.ranks) / Math.min(normaliseRanks(input.ranks), normaliseRanks(input.nodes))) : 1
    const fit = judgeFit(vram.requiredBytes * ranksHere, available, device.label)
    let time: TimeEstimate | null = null
    let timeUnavailable: string | null = null
    if (!input.tokenStats || input.tokenStats.exampleCount === 0) {
      timeUnavailable = 'Training time needs the dataset: its token count decides the work.'
    } else if (device.kind === 'gpu' && !device.spec) {
      timeUnavailable = `${device.label} is not in the GPU speed table, so its training time is unknown.`
    } else {
      time = estimateTime({
        model: input.model,
        params: input.params,
        precision: vram.precision,
        tokenStats: input.tokenStats,
        device: device.kind === 'gpu' ? { kind: 'gpu', spec: device.spec as NonNullable<typeof device.spec> } : { kind: 'cpu', cores: device.cores, bf16Supported: device.bf16Supported ?? null },
        ranks: input.ranks,
        nodes: input.nodes,
        parallelism: input.parallelism
      })
    }
    const suggestions = fit.verdict === 'fits'
      ? []
      : suggestChanges({ model: input.model, parameterCount: input.parameterCount, params: input.params, device, tokenStats: input.tokenStats ?? null, stack: input.stack, ranks: input.ranks, parallelism: input.parallelism })
    const choice = { method: input.params.method, precision: input.params.precision, demo: input.model.isTinyDemo, fullWeights: input.params.full_weights }
    const problems = trainingDeviceProblems(choice, ruleDevice(device))
    const cannotTrain = problems.length > 0 ? problems.map((problem) => problem.message).join(' ') : null
    const cpuNote = device.kind === 'cpu' ? cpuTrainingNote(input.parameterCount ?? null, input.model.isTinyDemo, isPureBf16(choice) ? { bf16Supported: device.bf16Supported ?? null } : null) : null
    return { device, availableBytes: available, vram, fit, time, timeUnavailable, suggestions, cannotTrain, cpuNote }
  })
  const trainable = devices.filter((entry) => entry.cannotTrain === null)
  const best = trainable.find((entry) => entry.fit.verdict === 'fits') ?? [...(trainable.length > 0 ? trainable : devices)].sort((a, b) => a.fit.ratio - b.fit.ratio)[0] ?? null
  return { params: input.params, devices, best }
}

import type { DeviceTarget } from './device-target'
import { availableBytes } from './device-target'
import { methodsForDevice, ruleDevice } from './device-rules'
import type { ModelArchitecture } from './model-architecture'
import { countParameters } from './model-layers'
import type { TimeEstimate } from './time'
import { estimateTime, multiGpuScalingEfficiency } from './time'
import type { TokenStats } from './token-stats'
import { countTruncated } from './token-stats'
import type { EstimateParams, TrainingMethod, TrainingParams } from './training-params'
import type { TrainingStack } from './training-stack'
import type { FitJudgement } from './verdict'
import { judgeFit } from './verdict'
import type { VramEstimate } from './vram'
import { estimateVram, resolvePrecision } from './vram'

/**
 * "Auto": the fastest configuration that fits with a safety margin, and one line per choice
 * saying why.
 */

export interface AutoParameterChoice {
  field: string
  value: string | number | boolean | null
  reason: string
}

export interface AutoParametersResult {
  /** run.json's top-level `method`. */
  method: TrainingMethod
  /** run.json's `params`, every field set. */
  params: TrainingParams
  choices: AutoParameterChoice[]
  device: DeviceTarget
  vram: VramEstimate
  fit: FitJudgement
  /** True when the chosen configuration is within the safety margin. */
  withinMargin: boolean
  time: TimeEstimate | null
  /**
   * torchrun ranks Auto chose (1 unless `maxRanks` allowed more): the run trains on `gpus`, one
   * rank each, and `params`' micro batch and accumulation are per rank (effective batch =
   * micro × accumulation × ranks). `device` is the one of them memory is judged against.
   */
  ranks: number
  gpus: DeviceTarget[]
}

export interface AutoParametersInput {
  model: ModelArchitecture
  parameterCount?: number | null
  /** Detected GPUs, or the CPU when there is none. */
  devices: DeviceTarget[]
  tokenStats: TokenStats | null
  /** Training examples (rows of train.jsonl). */
  datasetSize: number
  /** Whether examples are prompt/response pairs (loss on the response only then). */
  promptResponse?: boolean
  stack?: Partial<TrainingStack>
  /**
   * How many GPUs of this machine Auto may split the run over (torchrun ranks); default 1, so a
   * caller that cannot launch several ranks gets a single-GPU choice.
   */
  maxRanks?: number
  /**
   * What "Verify on this machine" measured for this model, data and device: Auto counts every
   * candidate at `factor` × its estimated peak (factor ≥ 1), and `reason` joins its reasons.
   */
  memoryScale?: { factor: number; reason: string } | null
}

/**
 * Auto keeps the run at ≤ 85 % of the device's memory: below the 90 % "fits" line, so the
 * estimator's typical error (≈ 10 %) and a few unusually long batches still fit.
 */
export const autoSafetyMargin = 0.85

/**
 * Auto splits a run over several GPUs only when one GPU would take at least this long. A split
 * has a fixed cost that the time estimate does not count: torchrun starts one process per GPU,
 * each loads the model and joins the NCCL group (tens of seconds, minutes for large models),
 * and a failure on any GPU stops the whole run. Below ten minutes the saving is a few minutes
 * at most, so the data is too small for it to pay. A policy threshold, not a measurement.
 */
export const multiGpuMinimumSeconds = 600

const roundUp64 = (n: number): number => Math.max(64, Math.ceil(n / 64) * 64)
const microBatchCandidates = [16, 8, 4, 2, 1]

function chooseMaxLength(model: ModelArchitecture, stats: TokenStats | null): { value: number; reason: string } {
  const cap = model.maxPositionEmbeddings ?? 4096
  if (!stats || stats.exampleCount === 0) {
    const value = Math.min(1024, cap)
    return { value, reason: `No dataset statistics yet: ${value} tokens, a common length for instruction data.` }
  }
  // The longest example if it is not far beyond the 95th percentile (nothing gets cut);
  // otherwise the 95th percentile, so a few outliers do not make every batch longer.
  const useMax = stats.maxTokens <= 1.25 * stats.p95Tokens
  const wanted = roundUp64(useMax ? stats.maxTokens : stats.p95Tokens)
  const value = Math.min(wanted, cap)
  const cut = countTruncated(stats, value)
  const basis = useMax ? `the longest example (${stats.maxTokens} tokens)` : `the 95th percentile (${stats.p95Tokens} tokens; the longest is ${stats.maxTokens})`
  const capped = wanted > cap ? `, capped at the model's ${cap} positions` : ''
  return { value, reason: `${basis} rounded up to a multiple of 64${capped}; ${cut} of ${stats.exampleCount} examples get cut.` }
}

function chooseEffectiveBatch(datasetSize: number): { value: number; reason: string } {
  if (datasetSize >= 1000) return { value: 16, reason: `${datasetSize} examples: 16 per optimizer step gives stable gradients and enough steps.` }
  if (datasetSize >= 100) return { value: 8, reason: `${datasetSize} examples: 8 per step keeps enough optimizer steps per epoch.` }
  return { value: 4, reason: `Only ${datasetSize} examples: 4 per step, so there are still steps to learn from.` }
}

function chooseEpochs(datasetSize: number): { value: number; reason: string } {
  if (datasetSize < 1000) return { value: 3, reason: `${datasetSize} examples is small: 3 passes let the model see each example enough.` }
  if (datasetSize < 10000) return { value: 2, reason: `${datasetSize} examples: 2 passes; more tends to memorise.` }
  return { value: 1, reason: `${datasetSize} examples: one pass is usually enough and avoids overfitting.` }
}

interface Candidate {
  params: EstimateParams
  vram: VramEstimate
  withinMargin: boolean
  /** The GPUs (or the CPU) it trains on, one rank each; memory is judged against `device`. */
  gpus: DeviceTarget[]
  device: DeviceTarget
  time: TimeEstimate | null
}

const middle = (time: TimeEstimate): number => (time.lowSeconds + time.highSeconds) / 2

export function chooseAutoParameters(input: AutoParametersInput): AutoParametersResult {
  if (input.devices.length === 0) throw new Error('chooseAutoParameters needs at least one device (a GPU or the CPU).')
  const choices: AutoParameterChoice[] = []
  // The GPU with the most memory free first (else the CPU); k ranks use the k GPUs with the most free.
  const byFree = [...input.devices].sort((a, b) => availableBytes(b) - availableBytes(a))
  const first = byFree[0] as DeviceTarget
  const onCpu = first.kind === 'cpu'
  // Several ranks only on GPUs: CPU processes share the same cores, so they would not be faster.
  const gpuCount = byFree.filter((device) => device.kind === 'gpu').length
  const maxRanks = onCpu ? 1 : Math.max(1, Math.min(gpuCount, Math.floor(input.maxRanks ?? 1)))

  // A measurement never makes Auto bolder than the estimate (see measuredMemoryScale).
  const scale = Math.max(1, input.memoryScale?.factor ?? 1)
  const maxLength = chooseMaxLength(input.model, input.tokenStats)
  const effective = chooseEffectiveBatch(input.datasetSize)
  const epochs = chooseEpochs(input.datasetSize)
  const paramsTotal = input.parameterCount ?? countParameters(input.model).total
  const lora = { r: 16, alpha: 32, dropout: 0.05, target_modules: 'all-linear' as const }
  const hasTime = (gpus: DeviceTarget[]): boolean => !!input.tokenStats && input.tokenStats.exampleCount > 0 && gpus.every((gpu) => gpu.kind === 'cpu' || gpu.spec !== null)

  /** The first configuration (method, checkpointing, micro batch) that fits on `ranks` GPUs, else the smallest tried. */
  const search = (ranks: number, methods: TrainingMethod[]): Candidate | null => {
    const gpus = byFree.slice(0, ranks)
    // Memory: the GPU with the least free; speed: the slowest; bf16 only when every one has it.
    const device = gpus[gpus.length - 1] as DeviceTarget
    const bf16 = gpus.every((gpu) => gpu.kind === 'gpu' && gpu.bf16Supported !== false) ? (device.kind === 'gpu' ? device.bf16Supported : null) : false
    const slowest = gpus.reduce((slow, gpu) => (gpu.kind === 'gpu' && slow.kind === 'gpu' && gpu.spec && slow.spec && (gpu.spec.bf16 ?? gpu.spec.fp16) < (slow.spec.bf16 ?? slow.spec.fp16) ? gpu : slow), device)
    const precision = resolvePrecision('auto', device.kind, device.kind === 'gpu' ? bf16 : null)
    const available = availableBytes(device)
    let fallback: Candidate | null = null
    for (const method of methods) {
      for (const checkpointing of [false, true]) {
        for (const micro of microBatchCandidates) {
          // Each rank takes micro examples per micro-step; the ranks together keep the effective batch.
          if (micro * ranks > effective.value || micro * ranks > Math.max(1, input.datasetSize)) continue
          const params: EstimateParams = {
            method,
            precision,
            max_length: maxLength.value,
            micro_batch_size: micro,
            gradient_accumulation_steps: Math.ceil(effective.value / (micro * ranks)),
            epochs: epochs.value,
            max_steps: null,
            lora,
            gradient_checkpointing: checkpointing,
            packing: false,
            attention: 'auto'
          }
          const vram = estimateVram({ model: input.model, params, device: device.kind, bf16Supported: device.kind === 'gpu' ? bf16 : null, longestExampleTokens: input.tokenStats?.maxTokens ?? null, parameterCount: input.parameterCount ?? null, stack: input.stack, ranks })
          const within = vram.requiredBytes * scale <= autoSafetyMargin * available
          const time = within && hasTime(gpus) && input.tokenStats
            ? estimateTime({ model: input.model, params, precision: vram.precision, tokenStats: input.tokenStats, device: slowest.kind === 'gpu' ? { kind: 'gpu', spec: slowest.spec as NonNullable<typeof slowest.spec> } : { kind: 'cpu', cores: slowest.cores, bf16Supported: slowest.bf16Supported ?? null }, ranks })
            : null
          if (within) return { params, vram, withinMargin: true, gpus, device, time }
          if (!fallback || vram.requiredBytes < fallback.vram.requiredBytes) fallback = { params, vram, withinMargin: false, gpus, device, time: null }
        }
      }
    }
    return fallback
  }

  // Fastest method first (LoRA before QLoRA), and only what the device can train: the same rule
  // the Manual form, the CLI and the run supervisor apply.
  const methods: TrainingMethod[] = methodsForDevice(ruleDevice(first), input.model.isTinyDemo)
  const single = search(1, methods) as Candidate
  let picked = single
  let ranksReason = maxRanks <= 1
    ? input.devices.length > 1 ? `Most free memory of the ${input.devices.length} devices.` : onCpu ? 'No NVIDIA GPU: training runs on the CPU.' : 'The only GPU.'
    : ''
  if (maxRanks > 1) {
    const splits: Candidate[] = []
    for (let ranks = 2; ranks <= maxRanks; ranks++) {
      // LocalTune splits adapters with DDP, which replicates the model: a split never makes LoRA
      // or QLoRA fit where one GPU does not. FSDP full finetuning would shard, but Auto's effective
      // batch (at most 16 rows, so at most 16 ranks) leaves it ≥ 1 B/parameter + a gathered layer,
      // more than QLoRA's ~0.52 B/parameter on one GPU, so Auto does not try it. The check below
      // still tells "needed to fit" apart, for the day a split does save memory.
      const candidate = search(ranks, methods)
      if (candidate) splits.push(candidate)
    }
    const fitting = splits.filter((candidate) => candidate.withinMargin)
    const fastest = fitting.filter((candidate) => candidate.time !== null && candidate.params.method === (single.withinMargin ? single.params.method : (fitting[0] as Candidate).params.method)).sort((a, b) => middle(a.time as TimeEstimate) - middle(b.time as TimeEstimate))[0]
    const oneGpu = single.withinMargin && single.time ? middle(single.time) : null
    if (!single.withinMargin && fitting.length > 0) {
      // Needed to fit: the fewest GPUs that hold it (more only when faster too).
      const fewest = fitting[0] as Candidate
      picked = fastest ?? fewest
      ranksReason = `${picked.gpus.length} GPUs: it does not fit on one GPU within ${Math.round(autoSafetyMargin * 100)} % of its memory; ${picked.vram.parallelism === 'fsdp' ? 'FSDP shards the weights, gradients and optimizer state over them' : 'each GPU takes a smaller share of every batch'}.`
    } else if (!single.withinMargin) {
      ranksReason = `One GPU: splitting over ${maxRanks} GPUs does not make it fit either.`
    } else if (oneGpu === null || !fastest) {
      ranksReason = `One GPU: ${!input.tokenStats || input.tokenStats.exampleCount === 0 ? 'without token counts' : 'with a GPU not in the speed table'} the time cannot be estimated, so Auto does not split the run.`
    } else if (oneGpu < multiGpuMinimumSeconds) {
      ranksReason = `One GPU: about ${Math.round(oneGpu / 60)} min there; the data is too small for starting ${maxRanks} processes (model loaded on each) to pay (Auto splits runs of ${multiGpuMinimumSeconds / 60} min or more).`
    } else if (middle(fastest.time as TimeEstimate) >= oneGpu) {
      ranksReason = 'One GPU: splitting the run would not make it faster.'
    } else {
      picked = fastest
      const gain = oneGpu / middle(fastest.time as TimeEstimate)
      ranksReason = `${fastest.gpus.length} GPUs: about ${gain.toFixed(1)} × faster than one (each keeps ${Math.round(multiGpuScalingEfficiency.low * 100)}–${Math.round(multiGpuScalingEfficiency.high * 100)} % of its speed when splitting, from published 1- vs 2-GPU runs); effective batch ${effective.value} = ${fastest.params.micro_batch_size} × ${fastest.params.gradient_accumulation_steps} × ${fastest.gpus.length} GPUs.`
    }
  }
  const device = picked.device
  const ranks = picked.gpus.length
  choices.push({ field: 'device', value: ranks > 1 ? picked.gpus.map((gpu) => gpu.label).join(', ') : device.label, reason: ranks > 1 ? `The ${ranks} GPUs with the most free memory.` : maxRanks > 1 ? `Most free memory of the ${input.devices.length} devices.` : ranksReason })
  if (maxRanks > 1) choices.push({ field: 'ranks', value: ranks, reason: ranksReason })
  if (input.memoryScale) choices.push({ field: 'measured', value: `peak counted at ${scale.toFixed(2)}×`, reason: input.memoryScale.reason })
  const precisionReason = onCpu ? 'The CPU trains in fp32.' : picked.vram.precision === 'bf16' ? `The GPU${ranks > 1 ? 's support' : ' supports'} bf16: half the memory of fp32 and no loss scaling.` : 'This GPU has no bf16 (compute capability below 8.0): fp16 with loss scaling.'
  const available = availableBytes(device)
  const p = picked.params
  const fit = judgeFit(picked.vram.requiredBytes, available, device.label)

  const methodReason = input.model.isTinyDemo
    ? 'The demo model starts from random weights: training all of its ~1M weights learns fastest and costs almost nothing.'
    : p.method === 'lora'
      ? 'LoRA fits: the fastest method (no gradients for the base weights) with small adapters to save.'
      : p.method === 'qlora'
        ? 'LoRA does not fit with the safety margin; QLoRA keeps the base in 4-bit.'
        : 'Full finetuning.'
  choices.push({ field: 'method', value: p.method, reason: picked.withinMargin ? methodReason : `Nothing fits within ${Math.round(autoSafetyMargin * 100)} % of ${device.label}'s memory; this is the smallest configuration tried. ${fit.summary}` })
  choices.push({ field: 'precision', value: p.precision, reason: precisionReason })
  choices.push({ field: 'max_length', value: p.max_length, reason: maxLength.reason })
  choices.push({ field: 'micro_batch_size', value: p.micro_batch_size, reason: p.micro_batch_size * ranks >= Math.min(effective.value, (microBatchCandidates[0] as number) * ranks) ? `The whole effective batch in one pass${ranks > 1 ? ` of the ${ranks} GPUs` : ''} fits: fastest.` : `The largest micro batch that fits within ${Math.round(autoSafetyMargin * 100)} % of memory${p.gradient_checkpointing ? ' with checkpointing' : ''}.` })
  const perStep = p.micro_batch_size * p.gradient_accumulation_steps * ranks
  choices.push({ field: 'gradient_accumulation_steps', value: p.gradient_accumulation_steps, reason: `${p.micro_batch_size} × ${p.gradient_accumulation_steps}${ranks > 1 ? ` × ${ranks} GPUs` : ''} = effective batch ${perStep}. ${effective.reason}` })
  choices.push({ field: 'gradient_checkpointing', value: p.gradient_checkpointing, reason: p.gradient_checkpointing ? 'Needed to fit: recomputes activations during backward (about a third slower).' : 'Not needed: it would only slow training down.' })
  choices.push({ field: 'epochs', value: p.epochs, reason: epochs.reason })

  const isLora = p.method !== 'full'
  const learningRate = input.model.isTinyDemo ? 1e-3 : isLora ? 2e-4 : paramsTotal >= 5e9 ? 1e-5 : 2e-5
  choices.push({ field: 'learning_rate', value: learningRate, reason: input.model.isTinyDemo ? 'A tiny randomly initialised model tolerates and needs a large step.' : isLora ? 'The usual LoRA rate: adapters start at zero and need larger steps than the base would.' : 'Full finetuning moves pretrained weights: a small rate keeps what the model knows.' })

  const rows = input.tokenStats?.exampleCount ?? input.datasetSize
  const stepsPerEpoch = Math.max(1, Math.ceil(rows / perStep))
  const totalSteps = stepsPerEpoch * p.epochs
  const warmup = Math.max(1, Math.round(0.03 * totalSteps))
  choices.push({ field: 'scheduler', value: 'cosine', reason: 'Cosine decay after warmup: the common default for finetuning.' })
  choices.push({ field: 'warmup_steps', value: warmup, reason: `3 % of the ${totalSteps} optimizer steps.` })
  choices.push({ field: 'lora', value: isLora ? `r=${lora.r}, alpha=${lora.alpha}, dropout=${lora.dropout}, all-linear` : null, reason: isLora ? 'Rank 16 on every Linear layer: close to full-finetuning quality for instruction data at a small cost.' : 'Not used by full finetuning.' })
  choices.push({ field: 'packing', value: false, reason: 'Off: each example stays its own row, so the loss can skip the prompt and nothing leaks across examples.' })
  const evalEvery = Math.max(10, Math.round(totalSteps / 10))
  choices.push({ field: 'eval_every_steps', value: evalEvery, reason: 'About ten validation points over the run.' })

  const params: TrainingParams = {
    precision: p.precision,
    // Auto keeps fp32 master weights: pure bf16 trades update precision for memory, the user's call.
    full_weights: 'fp32',
    max_length: p.max_length,
    micro_batch_size: p.micro_batch_size,
    gradient_accumulation_steps: p.gradient_accumulation_steps,
    epochs: p.epochs,
    max_steps: null,
    learning_rate: learningRate,
    scheduler: 'cosine',
    warmup_steps: warmup,
    weight_decay: 0.01,
    max_grad_norm: 1.0,
    lora: { ...lora },
    gradient_checkpointing: p.gradient_checkpointing,
    packing: false,
    attention: 'auto',
    eval_every_steps: evalEvery,
    save_every_steps: evalEvery,
    keep_checkpoints: 2,
    seed: 42,
    train_on_response_only: input.promptResponse ?? true,
    log_every_steps: 1
  }
  // A configuration outside the margin was not timed during the search.
  const time = picked.time ?? (input.tokenStats && input.tokenStats.exampleCount > 0 && (device.kind === 'cpu' || device.spec)
    ? estimateTime({ model: input.model, params: p, precision: picked.vram.precision, tokenStats: input.tokenStats, device: device.kind === 'gpu' ? { kind: 'gpu', spec: device.spec as NonNullable<typeof device.spec> } : { kind: 'cpu', cores: device.cores, bf16Supported: device.bf16Supported ?? null }, ranks })
    : null)
  return { method: p.method, params, choices, device, vram: picked.vram, fit, withinMargin: picked.withinMargin, time, ranks, gpus: picked.gpus }
}

import type { DeviceTarget } from './device-target'
import { availableBytes } from './device-target'
import { methodsForDevice, ruleDevice } from './device-rules'
import type { ModelArchitecture } from './model-architecture'
import { countParameters } from './model-layers'
import type { TimeEstimate } from './time'
import { estimateTime } from './time'
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
}

/**
 * Auto keeps the run at ≤ 85 % of the device's memory: below the 90 % "fits" line, so the
 * estimator's typical error (≈ 10 %) and a few unusually long batches still fit.
 */
export const autoSafetyMargin = 0.85

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

export function chooseAutoParameters(input: AutoParametersInput): AutoParametersResult {
  if (input.devices.length === 0) throw new Error('chooseAutoParameters needs at least one device (a GPU or the CPU).')
  const choices: AutoParameterChoice[] = []
  // LocalTune trains on one device: the GPU with the most memory free, else the CPU.
  const device = [...input.devices].sort((a, b) => availableBytes(b) - availableBytes(a))[0] as DeviceTarget
  const onCpu = device.kind === 'cpu'
  choices.push({ field: 'device', value: device.label, reason: input.devices.length > 1 ? `Most free memory of the ${input.devices.length} devices.` : onCpu ? 'No NVIDIA GPU: training runs on the CPU.' : 'The only GPU.' })

  const precision = resolvePrecision('auto', device.kind, device.kind === 'gpu' ? device.bf16Supported : null)
  const precisionReason = onCpu ? 'The CPU trains in fp32.' : precision === 'bf16' ? 'The GPU supports bf16: half the memory of fp32 and no loss scaling.' : 'This GPU has no bf16 (compute capability below 8.0): fp16 with loss scaling.'
  const maxLength = chooseMaxLength(input.model, input.tokenStats)
  const effective = chooseEffectiveBatch(input.datasetSize)
  const epochs = chooseEpochs(input.datasetSize)
  const paramsTotal = input.parameterCount ?? countParameters(input.model).total

  // Fastest first (LoRA before QLoRA), and only what this device can train: the same rule the
  // Manual form, the CLI and the run supervisor apply.
  const methods: TrainingMethod[] = methodsForDevice(ruleDevice(device), input.model.isTinyDemo)
  const lora = { r: 16, alpha: 32, dropout: 0.05, target_modules: 'all-linear' as const }
  const available = availableBytes(device)

  let chosen: { params: EstimateParams; vram: VramEstimate; withinMargin: boolean } | null = null
  let fallback: { params: EstimateParams; vram: VramEstimate } | null = null
  search: for (const method of methods) {
    for (const checkpointing of [false, true]) {
      for (const micro of microBatchCandidates) {
        if (micro > effective.value || micro > Math.max(1, input.datasetSize)) continue
        const params: EstimateParams = {
          method,
          precision,
          max_length: maxLength.value,
          micro_batch_size: micro,
          gradient_accumulation_steps: Math.ceil(effective.value / micro),
          epochs: epochs.value,
          max_steps: null,
          lora,
          gradient_checkpointing: checkpointing,
          packing: false,
          attention: 'auto'
        }
        const vram = estimateVram({ model: input.model, params, device: device.kind, bf16Supported: device.kind === 'gpu' ? device.bf16Supported : null, longestExampleTokens: input.tokenStats?.maxTokens ?? null, parameterCount: input.parameterCount ?? null, stack: input.stack })
        if (vram.requiredBytes <= autoSafetyMargin * available) {
          chosen = { params, vram, withinMargin: true }
          break search
        }
        if (!fallback || vram.requiredBytes < fallback.vram.requiredBytes) fallback = { params, vram }
      }
    }
  }
  const picked = chosen ?? { ...(fallback as { params: EstimateParams; vram: VramEstimate }), withinMargin: false }
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
  choices.push({ field: 'micro_batch_size', value: p.micro_batch_size, reason: p.micro_batch_size === Math.min(effective.value, microBatchCandidates[0] as number) ? 'The whole effective batch in one pass fits: fastest.' : `The largest micro batch that fits within ${Math.round(autoSafetyMargin * 100)} % of memory${p.gradient_checkpointing ? ' with checkpointing' : ''}.` })
  choices.push({ field: 'gradient_accumulation_steps', value: p.gradient_accumulation_steps, reason: `${p.micro_batch_size} × ${p.gradient_accumulation_steps} = effective batch ${p.micro_batch_size * p.gradient_accumulation_steps}. ${effective.reason}` })
  choices.push({ field: 'gradient_checkpointing', value: p.gradient_checkpointing, reason: p.gradient_checkpointing ? 'Needed to fit: recomputes activations during backward (about a third slower).' : 'Not needed: it would only slow training down.' })
  choices.push({ field: 'epochs', value: p.epochs, reason: epochs.reason })

  const isLora = p.method !== 'full'
  const learningRate = input.model.isTinyDemo ? 1e-3 : isLora ? 2e-4 : paramsTotal >= 5e9 ? 1e-5 : 2e-5
  choices.push({ field: 'learning_rate', value: learningRate, reason: input.model.isTinyDemo ? 'A tiny randomly initialised model tolerates and needs a large step.' : isLora ? 'The usual LoRA rate: adapters start at zero and need larger steps than the base would.' : 'Full finetuning moves pretrained weights: a small rate keeps what the model knows.' })

  const rows = input.tokenStats?.exampleCount ?? input.datasetSize
  const stepsPerEpoch = Math.max(1, Math.ceil(rows / (p.micro_batch_size * p.gradient_accumulation_steps)))
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
  const time = input.tokenStats && input.tokenStats.exampleCount > 0 && (device.kind === 'cpu' || device.spec)
    ? estimateTime({ model: input.model, params: p, precision: picked.vram.precision, tokenStats: input.tokenStats, device: device.kind === 'gpu' ? { kind: 'gpu', spec: device.spec as NonNullable<typeof device.spec> } : { kind: 'cpu', cores: device.cores } })
    : null
  return { method: p.method, params, choices, device, vram: picked.vram, fit, withinMargin: picked.withinMargin, time }
}

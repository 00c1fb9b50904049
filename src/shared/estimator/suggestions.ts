import type { DeviceTarget } from './device-target'
import { availableBytes } from './device-target'
import { methodsForDevice, ruleDevice } from './device-rules'
import type { ModelArchitecture } from './model-architecture'
import type { TokenStats } from './token-stats'
import { countTruncated } from './token-stats'
import type { EstimateParams } from './training-params'
import type { TrainingStack } from './training-stack'
import type { Verdict } from './verdict'
import { judgeFit } from './verdict'
import type { Parallelism } from './vram'
import { estimateVram } from './vram'

/**
 * Concrete changes that would make a run fit, each re-estimated with the same estimator. Only
 * changes the runtime can make (parameters of run.json). What fits comes first; within a verdict
 * the order is the least disruptive first (checkpointing, micro batch, max length, method).
 */
export interface Suggestion {
  /** One sentence for the user. */
  change: string
  /** The full parameters with the change applied. */
  params: EstimateParams
  /** Memory the device must hold with the change (reserved + context). */
  newPeakBytes: number
  verdict: Verdict
}

export interface SuggestionInput {
  model: ModelArchitecture
  parameterCount?: number | null
  params: EstimateParams
  device: DeviceTarget
  tokenStats?: Pick<TokenStats, 'counts' | 'maxTokens' | 'p95Tokens'> | null
  stack?: Partial<TrainingStack>
  /** torchrun ranks (default 1): suggestions are judged per rank, as the estimate is. */
  ranks?: number
  /** How those ranks share the model (default: LocalTune's choice for the method). */
  parallelism?: Parallelism
}

const roundUp64 = (n: number): number => Math.max(64, Math.ceil(n / 64) * 64)

function medianOf(counts: readonly number[]): number {
  const sorted = [...counts].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0
}

function evaluate(input: SuggestionInput, params: EstimateParams): { required: number; verdict: Verdict } {
  const vram = estimateVram({
    model: input.model,
    params,
    device: input.device.kind,
    bf16Supported: input.device.kind === 'gpu' ? input.device.bf16Supported : null,
    longestExampleTokens: input.tokenStats?.maxTokens ?? null,
    parameterCount: input.parameterCount ?? null,
    stack: input.stack,
    ranks: input.ranks,
    parallelism: input.parallelism
  })
  const fit = judgeFit(vram.requiredBytes, availableBytes(input.device), input.device.label)
  return { required: vram.requiredBytes, verdict: fit.verdict }
}

export function suggestChanges(input: SuggestionInput): Suggestion[] {
  const base = input.params
  const current = evaluate(input, base)
  if (current.verdict === 'fits') return []
  const candidates: Array<{ change: string; params: EstimateParams }> = []
  const effective = base.micro_batch_size * base.gradient_accumulation_steps

  if (!base.gradient_checkpointing) {
    candidates.push({ change: 'Turn on gradient checkpointing (recomputes activations: about a third slower).', params: { ...base, gradient_checkpointing: true } })
  }
  for (let micro = Math.floor(base.micro_batch_size / 2); micro >= 1; micro = Math.floor(micro / 2)) {
    const accumulation = Math.ceil(effective / micro)
    candidates.push({
      change: `Micro batch ${base.micro_batch_size} → ${micro} with gradient accumulation ${base.gradient_accumulation_steps} → ${accumulation} (effective batch stays ${micro * accumulation}).`,
      params: { ...base, micro_batch_size: micro, gradient_accumulation_steps: accumulation }
    })
    if (micro === 1) break
  }
  const lengths = new Set<number>()
  if (input.tokenStats && input.tokenStats.p95Tokens > 0) lengths.add(roundUp64(input.tokenStats.p95Tokens))
  // The longest length (a multiple of 64) that fits, found by halving the interval.
  let low = 64
  let high = base.max_length
  if (evaluate(input, { ...base, max_length: low }).verdict === 'fits') {
    while (high - low > 64) {
      const middle = roundUp64((low + high) / 2)
      if (middle >= high) break
      if (evaluate(input, { ...base, max_length: middle }).verdict === 'fits') low = middle
      else high = middle
    }
    lengths.add(low)
  } else {
    lengths.add(Math.max(64, roundUp64(base.max_length / 2)))
  }
  // A length that cuts most examples would defeat the dataset: keep at least the median
  // example whole (or 256 tokens without statistics).
  const shortest = input.tokenStats && input.tokenStats.counts.length > 0 ? roundUp64(medianOf(input.tokenStats.counts)) : 256
  for (const length of [...lengths].sort((a, b) => b - a)) {
    if (length >= base.max_length || length < shortest) continue
    const cut = input.tokenStats ? ` (${countTruncated(input.tokenStats, length)} of ${input.tokenStats.counts.length} examples get cut)` : ''
    candidates.push({ change: `Max length ${base.max_length} → ${length}${cut}.`, params: { ...base, max_length: length } })
  }
  // Only methods this device can train (QLoRA needs CUDA): the same rule as everywhere else.
  const qloraHere = methodsForDevice(ruleDevice(input.device), input.model.isTinyDemo).includes('qlora')
  if (base.method === 'lora' && qloraHere) candidates.push({ change: 'QLoRA instead of LoRA (base weights in 4-bit; slower per step).', params: { ...base, method: 'qlora' } })
  if (base.method === 'full') {
    candidates.push({ change: 'LoRA instead of full finetuning (trains small adapters; no full gradients or optimizer state).', params: { ...base, method: 'lora' } })
    if (qloraHere) candidates.push({ change: 'QLoRA instead of full finetuning (4-bit base, small adapters).', params: { ...base, method: 'qlora' } })
  }
  if (base.attention === 'eager') candidates.push({ change: 'SDPA attention instead of eager (does not keep the seq × seq attention matrix).', params: { ...base, attention: 'sdpa' } })
  if (base.precision === 'fp32' && input.device.kind === 'gpu') candidates.push({ change: 'Precision "auto" (bf16/fp16) instead of fp32.', params: { ...base, precision: 'auto' } })

  const suggestions: Suggestion[] = candidates.map((candidate) => {
    const result = evaluate(input, candidate.params)
    return { change: candidate.change, params: candidate.params, newPeakBytes: result.required, verdict: result.verdict }
  })

  if (!suggestions.some((suggestion) => suggestion.verdict === 'fits')) {
    // Nothing alone is enough: the memory savers together, keeping the method if that fits.
    const together: EstimateParams = {
      ...base,
      gradient_checkpointing: true,
      micro_batch_size: 1,
      gradient_accumulation_steps: effective,
      attention: base.attention === 'eager' ? 'sdpa' : base.attention,
      precision: base.precision === 'fp32' && input.device.kind === 'gpu' ? 'auto' : base.precision
    }
    const variants: EstimateParams[] = [together]
    if (base.method !== 'qlora' && qloraHere) variants.push({ ...together, method: 'qlora' })
    for (const variant of variants) {
      const result = evaluate(input, variant)
      const method = variant.method === base.method ? '' : `${variant.method === 'qlora' ? 'QLoRA' : variant.method}, `
      suggestions.push({ change: `All together: ${method}gradient checkpointing, micro batch 1 with accumulation ${effective}.`, params: variant, newPeakBytes: result.required, verdict: result.verdict })
      if (result.verdict === 'fits') break
    }
  }

  const rank: Record<Verdict, number> = { fits: 0, tight: 1, 'does-not-fit': 2 }
  return suggestions
    .filter((suggestion) => suggestion.newPeakBytes < current.required)
    .sort((a, b) => rank[a.verdict] - rank[b.verdict])
}

import type { ModelCatalogEntry } from '../../../shared/contract'
import type { AutoParametersResult, DeviceEstimate, DeviceTarget, TokenStats, TrainingEstimate } from '../../../shared/estimator'
import { chooseAutoParameters, countTruncated, estimateTraining, targetsFromSnapshot } from '../../../shared/estimator'
import type { HardwareSnapshot } from '../../../shared/hardware/types'
import type { TrainingMethod, TrainingParams } from '../../../shared/run-config'
import type { ManualFieldKey, ManualFields } from './manual-fields'
import { estimateParamsOf, parseManualFields } from './manual-fields'

/**
 * Everything the Parameters & estimate screen shows, derived from its inputs by one pure
 * function: Auto's choice, the parameters in force, the estimate per device, and whether the
 * result may become a project. Recomputed on every change; nothing here is stored.
 */

export interface EstimateInputs {
  entry: ModelCatalogEntry | null
  snapshot: HardwareSnapshot | null
  tokenStats: TokenStats | null
  /** Training rows of the draft export. */
  trainExamples: number
  datasetMode: 'chat' | 'generic'
  trainOnResponseOnly: boolean
  mode: 'auto' | 'manual'
  manual: ManualFields | null
  deviceKey: string | null
  /**
   * GPUs the user chose for the run (torchrun ranks, one per GPU); 1 (the default) leaves it to
   * the estimate's device, or to Auto, which may split over `autoMaxRanks` GPUs when faster.
   */
  ranks?: number
  /** How many GPUs Auto may split a run over (the machine's GPUs; default 1). */
  autoMaxRanks?: number
}

export type EstimateView =
  /** An input is not there yet or cannot be used; `reason` says which and what to do. */
  | { kind: 'unavailable'; reason: string }
  /** Manual fields the estimator cannot take; each names what to enter. */
  | { kind: 'invalid'; auto: AutoParametersResult; errors: Partial<Record<ManualFieldKey, string>> }
  | ReadyEstimate

export interface ReadyEstimate {
  kind: 'ready'
  auto: AutoParametersResult
  method: TrainingMethod
  params: TrainingParams
  devices: DeviceTarget[]
  estimate: TrainingEstimate
  /** The device the run will use, and its estimate. */
  chosen: DeviceEstimate
  chosenKey: string
  tokenStats: TokenStats
  truncated: number
  /** Why this may not become a project even if it fits (e.g. QLoRA on the CPU); null when nothing blocks. */
  blocker: string | null
  /** Identifies exactly this estimate: the risk acceptance is only valid for it. */
  signature: string
  /** torchrun ranks the run trains on (1: one device); the estimate is per GPU then. */
  ranks: number
  /** The GPUs Auto split the run over (nvidia-smi indices), when it chose several; else null. */
  autoGpuIndices: number[] | null
}

export function deviceKeyOf(device: DeviceTarget): string {
  return device.kind === 'cpu' ? 'cpu' : `gpu:${device.index ?? device.label}`
}


/**
 * What a measurement applies to for Auto: the same model and data on the same kind of device
 * (the estimator's error for them; Auto then picks its own settings). Null until all are known.
 */
export function autoBasisKey(model: { id: string; path: string | null } | null, tokenStats: TokenStats | null, deviceKind: DeviceTarget['kind'] | null): string | null {
  if (!model || !tokenStats || !deviceKind) return null
  return JSON.stringify([model.id, model.path, deviceKind, tokenStats.exampleCount, tokenStats.totalTokens, tokenStats.maxTokens])
}

/**
 * Auto's choice for the model, machine and data; null until all three are known. Separate from
 * the rest so the screen can keep it while only Manual fields change (it is the costlier part).
 * `memoryScale`: what a verification of this model and data measured (see measuredMemoryScale).
 */
export function autoParametersFor(
  inputs: Pick<EstimateInputs, 'entry' | 'snapshot' | 'tokenStats' | 'trainExamples' | 'datasetMode' | 'trainOnResponseOnly' | 'autoMaxRanks'>,
  memoryScale: { factor: number; reason: string } | null = null
): AutoParametersResult | null {
  const { entry, snapshot, tokenStats } = inputs
  if (!entry?.architecture || !snapshot || !tokenStats || tokenStats.exampleCount === 0) return null
  return chooseAutoParameters({
    model: entry.architecture,
    parameterCount: entry.parameters?.total ?? null,
    devices: targetsFromSnapshot(snapshot),
    tokenStats,
    datasetSize: inputs.trainExamples,
    promptResponse: inputs.datasetMode === 'chat' && inputs.trainOnResponseOnly,
    memoryScale,
    maxRanks: inputs.autoMaxRanks ?? 1
  })
}

/** `auto`: Auto's choice for these inputs when the caller already has it (see autoParametersFor). */
export function deriveEstimateView(inputs: EstimateInputs, known: { auto?: AutoParametersResult | null } = {}): EstimateView {
  const { entry, snapshot, tokenStats } = inputs
  if (!entry) return { kind: 'unavailable', reason: 'Choose a model on the Model screen first.' }
  if (!entry.architecture) {
    return { kind: 'unavailable', reason: `${entry.displayName} cannot be estimated: ${entry.problems.join(' ') || 'its config.json could not be read.'} Choose another model.` }
  }
  if (!snapshot) return { kind: 'unavailable', reason: 'Detecting the GPUs and memory of this machine…' }
  if (!tokenStats) return { kind: 'unavailable', reason: "Counting the tokens of the training examples with the model's tokenizer…" }
  if (tokenStats.exampleCount === 0) return { kind: 'unavailable', reason: 'The training file has no examples: go back to the Data screen and check the mapping.' }

  const model = entry.architecture
  const parameterCount = entry.parameters?.total ?? null
  const devices = targetsFromSnapshot(snapshot)
  const auto = known.auto ?? (autoParametersFor(inputs) as AutoParametersResult)
  const autoKey = deviceKeyOf(auto.device)
  const chosenKey = inputs.mode === 'manual' && inputs.deviceKey && devices.some((device) => deviceKeyOf(device) === inputs.deviceKey) ? inputs.deviceKey : autoKey
  const device = devices.find((candidate) => deviceKeyOf(candidate) === chosenKey) ?? auto.device

  let method: TrainingMethod
  let params: TrainingParams
  if (inputs.mode === 'manual' && inputs.manual) {
    const parsed = parseManualFields(inputs.manual, {
      model,
      demo: entry.isDemo,
      device: device.kind === 'cpu' ? { kind: 'cpu' } : { kind: 'gpu', label: device.label, bf16Supported: device.bf16Supported }
    })
    if (!parsed.ok) return { kind: 'invalid', auto, errors: parsed.errors }
    method = parsed.method
    params = parsed.params
  } else {
    method = auto.method
    params = auto.params
  }

  // Several ranks only on GPUs: the user's set of GPUs, or Auto's split when the user left it to Auto.
  const autoSplit = inputs.mode === 'auto' && (inputs.ranks ?? 1) <= 1 && auto.ranks > 1
  const ranks = device.kind === 'cpu' ? 1 : autoSplit ? auto.ranks : Math.max(1, inputs.ranks ?? 1)
  const autoGpuIndices = autoSplit ? auto.gpus.flatMap((gpu) => (gpu.kind === 'gpu' && gpu.index !== null ? [gpu.index] : [])) : null
  const estimate = estimateTraining({ model, parameterCount, params: estimateParamsOf(method, params), devices, tokenStats, ranks })
  const chosen = estimate.devices.find((candidate) => deviceKeyOf(candidate.device) === chosenKey) ?? (estimate.devices[0] as DeviceEstimate)
  // Real models may train on the CPU (slowly; the estimate says how slowly and the panel says
  // why). What blocks is only what the device cannot train at all, by the shared device rules.
  const blocker = chosen.cannotTrain
  const signature = JSON.stringify([entry.id, entry.path, chosenKey, ranks, method, params, tokenStats.exampleCount, tokenStats.totalTokens, tokenStats.maxTokens, chosen.fit.verdict])
  return { kind: 'ready', auto, method, params, devices, estimate, chosen, chosenKey, tokenStats, truncated: countTruncated(tokenStats, params.max_length), blocker, signature, ranks, autoGpuIndices }
}

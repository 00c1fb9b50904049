import type { DeviceChoice } from '../../../shared/contract'
import type { RuleDevice } from '../../../shared/estimator'
import { gpuTarget, ruleDevice, trainingDeviceProblems } from '../../../shared/estimator'
import type { HardwareSnapshot } from '../../../shared/hardware/types'
import type { RunConfig, TrainingMethod, TrainingParams } from '../../../shared/run-config'

/**
 * "Run again with changes": the settings it offers, as the text and choices in their inputs.
 * Besides the numbers, the method, precision and device can change too: the fix a failed run's
 * message asks for ("use fp32", "LoRA instead of QLoRA", "train on the CPU") is made here,
 * without a new project.
 */
export interface RunAgainFields {
  learningRate: string
  epochs: string
  maxSteps: string
  microBatchSize: string
  maxLength: string
  method: TrainingMethod
  precision: TrainingParams['precision']
  /** "cpu" or "cuda:N", as a run's device is written. */
  deviceKey: string
  /** LoRA/QLoRA: also save the merged model. */
  merge: boolean
}

export type RunAgainErrors = Partial<Record<keyof RunAgainFields, string>>

/** A device the new run may use, with what the device rules need to know of it. */
export interface RunAgainDevice {
  key: string
  label: string
  rule: RuleDevice
}

/** What "run again" sends besides the params patch; absent keeps the earlier run's choice. */
export interface RunAgainChanges {
  method?: TrainingMethod
  device?: DeviceChoice
  merge?: boolean
}

export function fieldsFromRun(config: Pick<RunConfig, 'params' | 'method' | 'merge'>, deviceKey: string): RunAgainFields {
  const params = config.params
  return {
    learningRate: String(params.learning_rate),
    epochs: String(params.epochs),
    maxSteps: params.max_steps === null ? '' : String(params.max_steps),
    microBatchSize: String(params.micro_batch_size),
    maxLength: String(params.max_length),
    method: config.method,
    precision: params.precision,
    deviceKey,
    merge: config.merge
  }
}

/**
 * The devices a new run can use: the CPU always, and the GPUs the training runtime can use (a
 * snapshot in CPU mode lists GPUs it cannot). The earlier run's device stays offered even when
 * this machine no longer shows it, so opening the dialog never changes the device by itself.
 */
export function runAgainDevices(snapshot: HardwareSnapshot | null, currentKey: string): RunAgainDevice[] {
  const devices: RunAgainDevice[] = [{ key: 'cpu', label: 'CPU', rule: { kind: 'cpu' } }]
  if (snapshot?.mode === 'gpu') {
    for (const gpu of snapshot.gpus) {
      const target = gpuTarget(gpu)
      devices.push({ key: `cuda:${gpu.index}`, label: target.label, rule: ruleDevice(target) })
    }
  }
  if (!devices.some((device) => device.key === currentKey)) {
    devices.push({ key: currentKey, label: `${currentKey} (as before)`, rule: { kind: 'gpu', label: currentKey, bf16Supported: null } })
  }
  return devices
}

function wholeNumber(text: string, min: number): number | null {
  const value = Number(text.trim())
  return text.trim() !== '' && Number.isInteger(value) && value >= min ? value : null
}

/** "cpu", "cuda:N", or "cuda:N,M,…" (a run on several GPUs, offered as before) as a device choice. */
function deviceChoiceOf(key: string): DeviceChoice {
  const indices = /^cuda:(\d+(?:,\d+)*)$/.exec(key)?.[1]?.split(',').map(Number)
  if (!indices) return { kind: 'cpu' }
  return indices.length === 1 ? { kind: 'gpu', index: indices[0]! } : { kind: 'gpus', indices }
}

/**
 * The runs.run-again request: only what the user changed (so the comparison with the first run
 * lists exactly those), or what is wrong with each field, in words. Method, precision and device
 * are checked with the device rules every other place uses.
 */
export function runAgainRequestFrom(
  fields: RunAgainFields,
  earlier: { config: Pick<RunConfig, 'params' | 'method' | 'merge'>; deviceKey: string; demo: boolean },
  devices: readonly RunAgainDevice[]
): { patch: Record<string, unknown>; changes: RunAgainChanges; errors: RunAgainErrors } {
  const params = earlier.config.params
  const errors: RunAgainErrors = {}
  const patch: Record<string, unknown> = {}
  const changes: RunAgainChanges = {}

  const learningRate = Number(fields.learningRate.trim())
  if (fields.learningRate.trim() === '' || !Number.isFinite(learningRate) || learningRate <= 0) errors.learningRate = 'A positive number, e.g. 0.0002 or 2e-4.'
  else if (learningRate !== params.learning_rate) patch.learning_rate = learningRate

  const epochs = wholeNumber(fields.epochs, 1)
  if (epochs === null) errors.epochs = 'A whole number of 1 or more.'
  else if (epochs !== params.epochs) patch.epochs = epochs

  if (fields.maxSteps.trim() === '') {
    if (params.max_steps !== null) patch.max_steps = null
  } else {
    const maxSteps = wholeNumber(fields.maxSteps, 1)
    if (maxSteps === null) errors.maxSteps = 'A whole number of 1 or more, or empty to train by epochs.'
    else if (maxSteps !== params.max_steps) patch.max_steps = maxSteps
  }

  const microBatch = wholeNumber(fields.microBatchSize, 1)
  if (microBatch === null) errors.microBatchSize = 'A whole number of 1 or more.'
  else if (microBatch !== params.micro_batch_size) patch.micro_batch_size = microBatch

  const maxLength = wholeNumber(fields.maxLength, 8)
  if (maxLength === null) errors.maxLength = 'A whole number of 8 or more (tokens).'
  else if (maxLength !== params.max_length) patch.max_length = maxLength

  if (fields.precision !== params.precision) patch.precision = fields.precision
  if (fields.method !== earlier.config.method) changes.method = fields.method
  if (fields.deviceKey !== earlier.deviceKey) changes.device = deviceChoiceOf(fields.deviceKey)
  const merge = fields.method !== 'full' && fields.merge
  if (merge !== earlier.config.merge) changes.merge = merge

  const device = devices.find((candidate) => candidate.key === fields.deviceKey)
  if (!device) {
    errors.deviceKey = 'Choose a device from the list.'
  } else {
    for (const problem of trainingDeviceProblems({ method: fields.method, precision: fields.precision, fullWeights: params.full_weights, demo: earlier.demo }, device.rule)) {
      const field = problem.field === 'method' ? 'method' : 'precision'
      errors[field] ??= problem.message
    }
  }
  return { patch, changes, errors }
}

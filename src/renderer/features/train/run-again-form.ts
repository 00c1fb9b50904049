import type { TrainingParams } from '../../../shared/run-config'

/** The settings "Run again with changes" offers, as the text in their inputs. */
export interface RunAgainFields {
  learningRate: string
  epochs: string
  maxSteps: string
  microBatchSize: string
  maxLength: string
}

export type RunAgainErrors = Partial<Record<keyof RunAgainFields, string>>

export function fieldsFromParams(params: TrainingParams): RunAgainFields {
  return {
    learningRate: String(params.learning_rate),
    epochs: String(params.epochs),
    maxSteps: params.max_steps === null ? '' : String(params.max_steps),
    microBatchSize: String(params.micro_batch_size),
    maxLength: String(params.max_length)
  }
}

function wholeNumber(text: string, min: number): number | null {
  const value = Number(text.trim())
  return text.trim() !== '' && Number.isInteger(value) && value >= min ? value : null
}

/**
 * The params patch for runs.run-again: only what the user changed (so the comparison with the
 * first run lists exactly those), or what is wrong with each field, in words.
 */
export function paramsPatchFrom(fields: RunAgainFields, params: TrainingParams): { patch: Record<string, unknown>; errors: RunAgainErrors } {
  const errors: RunAgainErrors = {}
  const patch: Record<string, unknown> = {}

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

  return { patch, errors }
}

import { describe, expect, it } from 'vitest'
import { withDefaultParams } from '../../../../src/shared/run-config/run-config-schema'
import { fieldsFromParams, paramsPatchFrom } from '../../../../src/renderer/features/train/run-again-form'

const params = withDefaultParams({ learning_rate: 0.002, max_steps: 6, micro_batch_size: 8, max_length: 384 })

describe('run again with changes', () => {
  it('starts from the run’s own settings and sends nothing when nothing changed', () => {
    const fields = fieldsFromParams(params)
    expect(fields).toEqual({ learningRate: '0.002', epochs: '1', maxSteps: '6', microBatchSize: '8', maxLength: '384' })
    expect(paramsPatchFrom(fields, params)).toEqual({ patch: {}, errors: {} })
  })

  it('sends only the changed params, and an empty max steps trains by epochs', () => {
    const fields = { ...fieldsFromParams(params), learningRate: '1e-3', maxSteps: '', epochs: '3' }
    expect(paramsPatchFrom(fields, params)).toEqual({ patch: { learning_rate: 0.001, max_steps: null, epochs: 3 }, errors: {} })
  })

  it('says what is wrong with each field', () => {
    const fields = { learningRate: '0', epochs: '1.5', maxSteps: 'x', microBatchSize: '', maxLength: '4' }
    const { errors, patch } = paramsPatchFrom(fields, params)
    expect(Object.keys(errors).sort()).toEqual(['epochs', 'learningRate', 'maxLength', 'maxSteps', 'microBatchSize'])
    expect(patch).toEqual({})
  })
})

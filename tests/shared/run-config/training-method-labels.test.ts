import { describe, expect, it } from 'vitest'
import { trainingMethodChoices, trainingMethodName, trainingMethodSchema } from '../../../src/shared/run-config'

describe('training method labels', () => {
  it('offer every method the run config accepts, once, each with a name for sentences', () => {
    expect(trainingMethodChoices.map((choice) => choice.value).sort()).toEqual([...trainingMethodSchema.options].sort())
    expect(trainingMethodChoices.map((choice) => trainingMethodName(choice.value))).toEqual(['full finetuning', 'LoRA', 'QLoRA'])
  })
})

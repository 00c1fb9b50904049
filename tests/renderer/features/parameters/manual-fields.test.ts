import { describe, expect, it } from 'vitest'
import { parseModelConfigText, tinyDemoArchitecture } from '../../../../src/shared/estimator'
import { defaultTrainingParams } from '../../../../src/shared/run-config'
import { applyEstimateParams, fieldsFromParams, parseManualFields, parseNumberField, type ManualFields } from '../../../../src/renderer/features/parameters/manual-fields'

const demo = { model: tinyDemoArchitecture, demo: true, device: { kind: 'cpu' as const } }

function edited(patch: Partial<ManualFields['numbers']>, other: Partial<Omit<ManualFields, 'numbers'>> = {}): ManualFields {
  const fields = fieldsFromParams('lora', defaultTrainingParams)
  return { ...fields, ...other, numbers: { ...fields.numbers, ...patch } }
}

describe('manual parameters', () => {
  it('round-trips complete parameters through the form', () => {
    const parsed = parseManualFields(fieldsFromParams('full', { ...defaultTrainingParams, max_steps: 30, learning_rate: 1e-3 }), demo)
    expect(parsed).toEqual({ ok: true, method: 'full', params: { ...defaultTrainingParams, max_steps: 30, learning_rate: 1e-3 } })
  })

  it('names each wrong field and what to enter', () => {
    const parsed = parseManualFields(edited({ micro_batch_size: '0', learning_rate: 'fast', lora_dropout: '1', max_steps: '' }), demo)
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.errors.micro_batch_size).toBe('Micro batch size: enter a whole number of 1 or more ("0" is not).')
    expect(parsed.errors.learning_rate).toBe('Learning rate: enter a number above 0 (e.g. 2e-4) ("fast" is not).')
    expect(parsed.errors.lora_dropout).toContain('from 0 up to (not including) 1')
    // An empty "stop after steps" means: train for the epochs.
    expect(parsed.errors.max_steps).toBeUndefined()
  })

  it("keeps max length within the model's positions and methods to what the device can run", () => {
    const tooLong = parseManualFields(edited({ max_length: '2048' }), demo)
    expect(!tooLong.ok && tooLong.errors.max_length).toBe('Max length (tokens): this model reads at most 1024 tokens; enter 1024 or less.')
    const qlora = parseManualFields(edited({}, { method: 'qlora' }), demo)
    expect(!qlora.ok && qlora.errors.method).toContain('tiny demo model trains with Full or LoRA')
    const bf16OnCpu = parseManualFields(edited({}, { precision: 'bf16' }), demo)
    expect(!bf16OnCpu.ok && bf16OnCpu.errors.precision).toContain('needs a CUDA GPU')
    const turing = parseManualFields(edited({}, { precision: 'bf16' }), { model: tinyDemoArchitecture, demo: false, device: { kind: 'gpu', label: 'GPU 0: Tesla T4', bf16Supported: false } })
    expect(!turing.ok && turing.errors.precision).toContain('has no bf16')
  })

  it('offers pure bf16 full finetuning where it computes in bf16', () => {
    const llama = { model: tinyDemoArchitecture, demo: false, device: { kind: 'gpu' as const, label: 'GPU 0: RTX 4090', bf16Supported: true } }
    const pure = parseManualFields(edited({}, { method: 'full', full_weights: 'bf16' }), llama)
    expect(pure.ok && pure.params.full_weights).toBe('bf16')
    const fp16 = parseManualFields(edited({}, { method: 'full', full_weights: 'bf16', precision: 'fp16' }), llama)
    expect(!fp16.ok && fp16.errors.full_weights).toContain('set Precision to auto or bf16')
    const turing = parseManualFields(edited({}, { method: 'full', full_weights: 'bf16' }), { ...llama, device: { kind: 'gpu', label: 'GPU 0: Tesla T4', bf16Supported: false } })
    expect(!turing.ok && turing.errors.full_weights).toContain('Tesla T4 has no bf16')
    const onDemo = parseManualFields(edited({}, { method: 'full', full_weights: 'bf16' }), demo)
    expect(!onDemo.ok && onDemo.errors.full_weights).toContain('tiny demo model trains fp32 weights')
    // LoRA ignores it
    expect(parseManualFields(edited({}, { full_weights: 'bf16' }), llama).ok).toBe(true)
  })

  it("checks LoRA target modules against the model's own layers", () => {
    const llama = parseModelConfigText(JSON.stringify({ model_type: 'llama', hidden_size: 256, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 1000, intermediate_size: 512 }))
    const context = { model: llama, demo: false, device: null }
    expect(parseManualFields(edited({}, { lora_target_modules: 'q_proj, v_proj' }), context)).toMatchObject({ ok: true, params: { lora: { target_modules: ['q_proj', 'v_proj'] } } })
    const wrong = parseManualFields(edited({}, { lora_target_modules: 'c_attn' }), context)
    expect(!wrong.ok && wrong.errors.lora_target_modules).toContain('"c_attn"')
    const empty = parseManualFields(edited({}, { lora_target_modules: ' , ' }), context)
    expect(!empty.ok && empty.errors.lora_target_modules).toContain('name at least one layer')
    // Full finetuning has no adapters: the field does not matter then.
    expect(parseManualFields(edited({}, { method: 'full', lora_target_modules: '' }), context).ok).toBe(true)
  })

  it('accepts the ways people write numbers and refuses half-typed ones', () => {
    expect(parseNumberField('learning_rate', ' 2e-4 ')).toEqual({ value: 2e-4 })
    expect(parseNumberField('learning_rate', '1e-')).toHaveProperty('error')
    expect(parseNumberField('epochs', '1.5')).toHaveProperty('error')
    expect(parseNumberField('warmup_steps', '0')).toEqual({ value: 0 })
  })

  it('applies a suggestion onto the full parameters', () => {
    const applied = applyEstimateParams(defaultTrainingParams, { method: 'qlora', precision: 'auto', max_length: 256, micro_batch_size: 1, gradient_accumulation_steps: 8, epochs: 1, max_steps: null, lora: defaultTrainingParams.lora, gradient_checkpointing: true, packing: false, attention: 'auto' })
    expect(applied.method).toBe('qlora')
    expect(applied.params).toEqual({ ...defaultTrainingParams, max_length: 256, micro_batch_size: 1, gradient_accumulation_steps: 8, gradient_checkpointing: true })
  })
})

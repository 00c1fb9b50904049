import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { defaultTrainingParams, parseRunConfig, runConfigSchema, trainingParamsSchema } from '../../../src/shared/run-config'

const fixtures = new URL('../../../python-runtime/tests/fixtures/', import.meta.url)
const read = (name: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(name, fixtures)), 'utf8'))

const validConfig = read('run-v1.json')
const invalidCases = read('run-v1-invalid.json') as Array<{ why: string; field: string; config: unknown }>

describe('run.json v1', () => {
  it('accepts the shared fixture unchanged', () => {
    expect(parseRunConfig(validConfig)).toEqual({ ok: true, config: validConfig })
  })

  it('has the same defaults as the runtime', () => {
    expect(defaultTrainingParams).toEqual(read('training-params-defaults-v1.json'))
    expect(trainingParamsSchema.parse(defaultTrainingParams)).toEqual(defaultTrainingParams)
  })

  it.each(invalidCases.map((c) => [c.why, c] as const))('rejects: %s, naming the field', (_why, c) => {
    const result = parseRunConfig(c.config)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.errors.some((error) => error.startsWith(`${c.field}:`))).toBe(true)
  })

  it('fills left-out parameters with the defaults, LoRA key by key', () => {
    const config = runConfigSchema.parse({
      schema_version: 1,
      run_id: 'r',
      model: { id: 'localtune/tiny-demo' },
      method: 'lora',
      mode: 'generic',
      data: { train: 'train.jsonl' },
      params: { learning_rate: 0.003, lora: { r: 4 } }
    })
    expect(config.params).toEqual({ ...defaultTrainingParams, learning_rate: 0.003, lora: { ...defaultTrainingParams.lora, r: 4 } })
    expect(config.model).toEqual({ id: 'localtune/tiny-demo', path: null, trust_remote_code: false, allow_downloads: false })
    expect(config.data.valid).toBeNull()
    expect(config.merge).toBe(false)
  })

  it('stays a plain object schema, so the contract can pick fields from it', () => {
    const settings = runConfigSchema.pick({ model: true, method: true, mode: true, params: true, merge: true })
    expect(settings.safeParse({ model: { id: 'x' }, method: 'full', mode: 'chat' }).success).toBe(true)
  })

  it('accepts absolute model paths of every platform and refuses relative ones', () => {
    const withPath = (path: string) => parseRunConfig({ ...(validConfig as object), model: { id: 'm', path } }).ok
    expect(['/models/qwen', 'C:\\models\\qwen', 'D:/models', '\\\\server\\share'].map(withPath)).toEqual([true, true, true, true])
    expect(withPath('models/qwen')).toBe(false)
  })
})

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parseRunEventLine, runEventSchema, runEventSchemasByType, type RunEvent } from '../../../src/shared/run-events'

const fixtures = new URL('../../../python-runtime/tests/fixtures/', import.meta.url)
const read = (name: string): string => readFileSync(fileURLToPath(new URL(name, fixtures)), 'utf8')

const validLines = read('events-v1.jsonl').split('\n').filter((line) => line.trim())
const invalidCases = JSON.parse(read('events-v1-invalid.json')) as Array<{ why: string; line: string }>

describe('run events v1: the shared fixture', () => {
  it.each(validLines)('accepts %s', (line) => {
    const result = parseRunEventLine(line)
    expect(result.ok ? null : result.error).toBeNull()
  })

  it('has every event type', () => {
    const types = new Set(validLines.map((line) => (JSON.parse(line) as RunEvent).type))
    expect([...types].sort()).toEqual(Object.keys(runEventSchemasByType).sort())
  })

  it.each(invalidCases.map((c) => [c.why, c.line] as const))('rejects: %s', (_why, line) => {
    const result = parseRunEventLine(line)
    expect(result.ok).toBe(false)
  })

  it('names the field that is wrong', () => {
    const progress = JSON.parse(validLines[1] ?? '{}') as Record<string, unknown>
    const result = parseRunEventLine(JSON.stringify({ ...progress, loss: '2.35' }))
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^loss: /) })
  })

  it('says when the event version is newer than the app', () => {
    const result = parseRunEventLine(JSON.stringify({ ...(JSON.parse(validLines[3] ?? '{}') as object), v: 2 }))
    expect(result).toEqual({ ok: false, error: expect.stringContaining('version 2 is not supported') })
  })

  it('narrows on type', () => {
    const event = runEventSchema.parse(JSON.parse(validLines[1] ?? '{}'))
    expect(event.type === 'progress' ? event.gpu_memory.peak_bytes : null).toBe(2684354560)
  })
})

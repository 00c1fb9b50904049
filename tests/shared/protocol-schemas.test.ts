import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runEventSchemasByType } from '../../src/shared/run-events'
import { eventsJsonSchema, protocolSchemaFiles, runConfigJsonSchema } from '../../src/shared/run-events/protocol-json-schemas'

const repoFile = (path: string): string => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8')

// The JSON Schema files the Python runtime validates with are generated from the zod schemas.
// This is the check that fails (locally and in CI) when a zod change was not regenerated.
describe('run protocol JSON Schema files', () => {
  it.each(protocolSchemaFiles().map((file) => [file.path, file] as const))('%s is up to date (else run `npm run protocol:generate`)', (_path, file) => {
    expect(repoFile(file.path), `${file.path} is stale: run \`npm run protocol:generate\` and commit the result`).toBe(file.text)
  })

  it('names every event type and the training parameters in $defs', () => {
    const schema = eventsJsonSchema() as { properties: { type: { enum: string[] } }; $defs: Record<string, unknown> }
    expect([...schema.properties.type.enum].sort()).toEqual(Object.keys(runEventSchemasByType).sort())
    expect(Object.keys(schema.$defs).sort()).toEqual([...Object.keys(runEventSchemasByType), 'trainingParams'].sort())
  })

  it('carries the zod message of a pattern check, which the runtime shows', () => {
    const schema = runConfigJsonSchema() as { properties: { model: { properties: { path: { anyOf: Array<Record<string, unknown>> } } } } }
    expect(schema.properties.model.properties.path.anyOf[0]).toMatchObject({ pattern: expect.any(String), errorMessage: 'must be an absolute folder path or null' })
  })
})

import { z } from 'zod'
import { dataSpecSchema, loraParamsSchema, modelSpecSchema, runConfigSchema, trainingParamsSchema } from '../run-config/run-config-schema'
import { RUN_EVENT_VERSION, runEventSchema, runEventSchemasByType, startedConfigSchema } from './run-event-schema'

/**
 * The run protocol as JSON Schema (draft 2020-12), generated from the zod schemas, which are the
 * one definition. The Python runtime validates run.json and every event it writes against these
 * files with the jsonschema library. `npm run protocol:generate` writes them
 * (scripts/generate-protocol-schemas.ts); tests/shared/protocol-schemas.test.ts fails while the
 * committed files differ from what this returns.
 */

/** Where each file lives, relative to the repository root, and its text. */
export const PROTOCOL_SCHEMA_FILES = {
  events: 'python-runtime/localtune_runtime/events.schema.json',
  runConfig: 'python-runtime/localtune_runtime/run.schema.json'
} as const

const DRAFT = 'draft-2020-12'
type JsonSchema = Record<string, unknown>

/** The text written to disk: two-space indent and a final newline, so a diff reads well. */
const text = (schema: JsonSchema): string => `${JSON.stringify(schema, null, 2)}\n`

/**
 * events.schema.json. Each event type (and the training parameters the `started` event repeats)
 * is a named `$defs` entry, so the runtime and tests can name them. The root checks `v` and
 * `type` first: a reader then says "$.type: must be one of ..." instead of listing why the line
 * matches none of the seven types.
 */
export function eventsJsonSchema(): JsonSchema {
  const names = z.registry<{ id: string }>()
  for (const [type, schema] of Object.entries(runEventSchemasByType)) names.add(schema, { id: type })
  names.add(startedConfigSchema, { id: 'trainingParams' })
  // io 'input': an event may leave out a field that has a default, as the events of runs from
  // before that field existed do (e.g. started.config.full_weights).
  const union = z.toJSONSchema(runEventSchema, { target: DRAFT, metadata: names, io: 'input' })
  const envelope = z.toJSONSchema(
    z.object({ v: z.literal(RUN_EVENT_VERSION), type: z.enum(Object.keys(runEventSchemasByType) as [string, ...string[]]) }),
    { target: DRAFT }
  )
  return {
    $schema: union.$schema,
    $id: `https://localtune.dev/schemas/run-events/v${RUN_EVENT_VERSION}.json`,
    title: `LocalTune run event, version ${RUN_EVENT_VERSION}`,
    description:
      'One line of DIR/events.jsonl. Generated from src/shared/run-events/run-event-schema.ts by `npm run protocol:generate`; do not edit by hand.',
    type: envelope.type,
    required: envelope.required,
    properties: envelope.properties,
    oneOf: union.oneOf,
    $defs: union.$defs
  }
}

/** The parts of run.json the runtime's dataclasses validate on their own when built in code. */
const runConfigParts = { trainingParams: trainingParamsSchema, loraParams: loraParamsSchema, modelSpec: modelSpecSchema, dataSpec: dataSpecSchema }

/**
 * run.schema.json: the file as written (io: 'input', so fields with a default may be left out),
 * plus each part in `$defs` (trainingParams is the resolved form, every field required).
 */
export function runConfigJsonSchema(): JsonSchema {
  const root = z.toJSONSchema(runConfigSchema, { target: DRAFT, io: 'input' })
  const defs = Object.fromEntries(
    Object.entries(runConfigParts).map(([name, schema]) => {
      const { $schema: _draft, ...definition } = z.toJSONSchema(schema, { target: DRAFT, io: 'input' })
      return [name, definition]
    })
  )
  const { $schema, ...rest } = root
  return {
    $schema,
    $id: 'https://localtune.dev/schemas/run-config/v1.json',
    title: 'LocalTune run.json, version 1',
    description:
      'DIR/run.json, written by the app, read by python-runtime. Generated from src/shared/run-config/run-config-schema.ts by `npm run protocol:generate`; do not edit by hand. The one cross-field rule (QLoRA needs a real model) is code on both sides.',
    ...rest,
    $defs: defs
  }
}

/** Every generated file: its path relative to the repository root, and its text. */
export function protocolSchemaFiles(): Array<{ path: string; text: string }> {
  return [
    { path: PROTOCOL_SCHEMA_FILES.events, text: text(eventsJsonSchema()) },
    { path: PROTOCOL_SCHEMA_FILES.runConfig, text: text(runConfigJsonSchema()) }
  ]
}

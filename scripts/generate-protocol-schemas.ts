/**
 * Writes the run protocol's JSON Schema files from the zod schemas (the one definition):
 * python-runtime/localtune_runtime/events.schema.json and run.schema.json.
 *
 *   npm run protocol:generate
 *
 * tests/shared/protocol-schemas.test.ts fails while a committed file differs from this output.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { protocolSchemaFiles } from '../src/shared/run-events/protocol-json-schemas'

const root = fileURLToPath(new URL('..', import.meta.url))

for (const file of protocolSchemaFiles()) {
  const target = `${root}${file.path}`
  let current: string | null = null
  try {
    current = readFileSync(target, 'utf8')
  } catch {
    current = null // a new file
  }
  if (current === file.text) {
    console.log(`unchanged ${file.path}`)
  } else {
    writeFileSync(target, file.text)
    console.log(`wrote     ${file.path}`)
  }
}

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { inspectCommand } from '../../../../src/main/cli/commands/inspect'
import type { CliContext } from '../../../../src/main/cli/command'
import type { CsvInspection } from '../../../../src/shared/dataset/inspection'
import { cliContext, collectingIo, makeTempHome } from '../../../helpers/temp-home'

const fixtures = fileURLToPath(new URL('../../../fixtures/csv/', import.meta.url))

let dir: string
let cleanup: () => void
let ctx: CliContext
beforeEach(() => {
  ;({ home: dir, cleanup } = makeTempHome())
  ctx = cliContext({ LOCALTUNE_HOME: dir }, fixtures, dir)
})
afterEach(() => cleanup())

describe('localtune inspect', () => {
  it('prints encoding, delimiter, header, rows, column stats, the suggested mapping and problems', async () => {
    const { io, out } = collectingIo()
    expect(await inspectCommand.run(['alpaca-small.csv'], io, ctx)).toBe(0)
    const text = out.join('\n')
    expect(text).toContain('Encoding    UTF-8')
    expect(text).toContain('Delimiter   comma (","), line endings CRLF')
    expect(text).toContain('Header      yes (detected; use --no-header if the first row is data)')
    expect(text).toContain('Rows        4 data rows')
    expect(text).toMatch(/2 {2}input +2 of 4 +19\.0 +26/)
    expect(text).toContain('Suggested mapping (high confidence): --mode chat --map prompt=instruction,context=input,response=output')
    expect(text).toContain('Problems    none found')
  })

  it('prints the whole inspection as JSON with --json', async () => {
    const { io, out } = collectingIo()
    expect(await inspectCommand.run(['alpaca-small.csv', '--json'], io, ctx)).toBe(0)
    const inspection = JSON.parse(out.join('\n')) as CsvInspection
    expect(inspection.rowCount).toBe(4)
    expect(inspection.layout?.columns).toEqual(['instruction', 'input', 'output'])
    expect(inspection.sourcePath).toBe(path.join(fixtures, 'alpaca-small.csv'))
  })

  it('reads the first row as data with --no-header', async () => {
    const { io, out } = collectingIo()
    await inspectCommand.run(['alpaca-small.csv', '--json', '--no-header'], io, ctx)
    const inspection = JSON.parse(out.join('\n')) as CsvInspection
    expect(inspection.rowCount).toBe(5)
    expect(inspection.layout?.columns).toEqual(['column_1', 'column_2', 'column_3'])
  })

  it('lists problems with their rows and fails for a file that cannot be used', async () => {
    const ragged = path.join(dir, 'ragged.csv')
    fs.writeFileSync(ragged, 'a,b\n1,2,3\n')
    const first = collectingIo()
    expect(await inspectCommand.run([ragged], first.io, ctx)).toBe(0)
    expect(first.out.join('\n')).toContain('ERROR row 1 (line 2 of the file) has 3 cells but the file has 2 columns')
    const empty = path.join(dir, 'empty.csv')
    fs.writeFileSync(empty, '')
    const second = collectingIo()
    expect(await inspectCommand.run([empty], second.io, ctx)).toBe(1)
    expect(second.out.join('\n')).toMatch(/has no rows.*cannot be used for training/s)
  })

  it('needs exactly one file', async () => {
    const { io } = collectingIo()
    await expect(inspectCommand.run([], io, ctx)).rejects.toThrow(/Which CSV file/)
  })
})

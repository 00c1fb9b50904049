import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../../src/main/cli/main'
import { collectingIo } from '../../../helpers/temp-home'
import { makeTrainingHome, startQuickRun, type TrainingHome } from '../../../helpers/training-home'

describe('localtune runs', () => {
  let home: TrainingHome | null = null
  afterEach(() => {
    home?.cleanup()
    home = null
  })

  it('lists runs, shows one with its loss curve, and deletes one', async () => {
    home = makeTrainingHome()
    const ctx = { env: home.env, home: home.home }
    const empty = collectingIo()
    expect(await runCli(['runs'], empty.io, ctx)).toBe(0)
    expect(empty.out.join('\n')).toContain('No runs yet')

    const run = await startQuickRun(home.core, { maxSteps: 6, params: { eval_every_steps: 3 } })
    await home.core.runs.waitForRun(run.id, { timeoutMs: 60_000 })

    const list = collectingIo()
    expect(await runCli(['runs'], list.io, ctx)).toBe(0)
    const table = list.out.join('\n').split('\n')
    expect(table[0]).toMatch(/^ID\s+STATUS\s+MODEL\s+DATASET\s+STEPS\s+FINAL LOSS\s+EVAL\s+TIME$/)
    expect(table.at(-1)).toBe('FINAL LOSS: mean of the last 10 training steps (as History and the model card give it).')
    expect(table[1]).toMatch(new RegExp(`^${run.id}\\s+completed\\s+localtune/tiny-demo \\(full\\)\\s+-\\s+6/6\\s+\\d+\\.\\d{4}\\s+\\d+\\.\\d{4}\\s+0:\\d\\d$`))

    const json = collectingIo()
    expect(await runCli(['runs', '--json'], json.io, ctx)).toBe(0)
    expect(JSON.parse(json.out.join(''))).toEqual([expect.objectContaining({ id: run.id, status: 'completed', lastStep: 6 })])

    const show = collectingIo()
    expect(await runCli(['runs', 'show', run.id], show.io, ctx)).toBe(0)
    const shown = show.out.join('\n')
    expect(shown).toContain(`Run ${run.id}: completed at step 6/6`)
    expect(shown).toContain('Loss (* train, o eval):')
    expect(shown).toMatch(/\|.*\*/)
    expect(shown).toMatch(/\|.*o/)
    expect(shown).toContain('step 1')
    // The prompt format `localtune generate --help` points to: the first training prompt, exactly.
    const firstPrompt = (JSON.parse(fs.readFileSync(path.join(run.runDir, 'train.jsonl'), 'utf8').split('\n')[0]!) as { prompt: string }).prompt
    expect(shown).toContain('  Prompt:      chat mode: a prompt, then the response the model learned to write.')
    expect(shown).toContain(firstPrompt.split('\n').map((line) => `    | ${line}`).join('\n'))
    expect(shown).toContain(`Ask it: localtune generate ${run.id} --instruction "..." [--input "..."]`)
    expect(shown).toMatch(/Final loss: {2}\d+\.\d{4} \(mean of the last 10 training steps\), eval loss \d+\.\d{4}/)

    const showJson = collectingIo()
    expect(await runCli(['runs', 'show', run.id, '--json'], showJson.io, ctx)).toBe(0)
    const detail = JSON.parse(showJson.out.join(''))
    expect(detail.metrics.train.step).toEqual([1, 2, 3, 4, 5, 6])
    expect(detail.metrics.eval.step).toEqual([3, 6])
    expect(detail.promptFormat).toEqual({ mode: 'chat', style: null, examplePrompt: firstPrompt })

    const missing = collectingIo()
    expect(await runCli(['runs', 'show', 'nope'], missing.io, ctx)).toBe(1)
    expect(missing.err.join('\n')).toContain('There is no run "nope"')
    expect(await runCli(['runs', 'remove', run.id], collectingIo().io, ctx)).toBe(2)

    const removed = collectingIo()
    expect(await runCli(['runs', 'delete', run.id], removed.io, ctx)).toBe(0)
    expect(fs.existsSync(run.runDir)).toBe(false)
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { RunSummary } from '../../../../src/shared/contract/runs'
import { makeTrainingHome, readEventsFile, waitUntil, type TrainingHome } from '../../../helpers/training-home'

// Real runs: the tiny demo model trains through node-pty with the real Python runtime, a few
// steps each so the file stays well under two minutes on a laptop CPU.

describe('RunSupervisor', () => {
  let home: TrainingHome | null = null
  afterEach(() => {
    home?.cleanup()
    home = null
  })

  it('trains a demo run to completion and indexes every event the runtime wrote', async () => {
    home = makeTrainingHome()
    const { core, pushes } = home
    const started = await core.runs.startDemoRun({ maxSteps: 6 })
    expect(['queued', 'running']).toContain(started.status)
    const run = await core.runs.waitForRun(started.id, { timeoutMs: 90_000 })

    expect(run.status).toBe('completed')
    expect(run.failure).toBeNull()
    expect(run.demo).toBe(true)
    expect(run.lastStep).toBe(6)
    expect(run.totalSteps).toBe(6)
    expect(run.finalLoss).toEqual(expect.any(Number))
    expect(run.finalEvalLoss).toEqual(expect.any(Number))
    expect(run.dataset).toBe('sample-chat.csv (demo)')
    expect(run.deviceLabel).toBe('cpu')

    // The folder holds what the runtime needs and what it made.
    const config = JSON.parse(fs.readFileSync(path.join(run.runDir, 'run.json'), 'utf8'))
    expect(config).toMatchObject({ schema_version: 1, run_id: run.id, model: { id: 'localtune/tiny-demo' }, mode: 'chat', data: { train: 'train.jsonl', valid: 'valid.jsonl' } })
    const firstExample = JSON.parse(fs.readFileSync(path.join(run.runDir, 'train.jsonl'), 'utf8').split('\n')[0]!)
    expect(firstExample).toMatchObject({ prompt: expect.stringContaining('### Instruction:'), response: expect.any(String), row: expect.any(Number) })
    expect(fs.readFileSync(path.join(run.runDir, 'output.log'), 'utf8')).toContain('Finished: completed')

    // SQLite indexes exactly what events.jsonl says.
    const events = readEventsFile(run.runDir)
    const progress = events.filter((event) => event.type === 'progress')
    const metrics = core.runs.getRunMetrics(run.id, { kind: 'train' })
    expect(metrics.step).toEqual(progress.map((event) => event.step))
    expect(metrics.loss).toEqual(progress.map((event) => event.loss))
    const evals = events.filter((event) => event.type === 'eval')
    expect(core.runs.getRunMetrics(run.id, { kind: 'eval' }).step).toEqual(evals.map((event) => event.step))
    expect(core.runs.getRunMetrics(run.id, { kind: 'train', sinceStep: 4 }).step).toEqual([5, 6])
    const offset = (core.db.prepare('SELECT events_offset FROM runs WHERE id = ?').get(run.id) as { events_offset: number }).events_offset
    expect(offset).toBe(fs.statSync(path.join(run.runDir, 'events.jsonl')).size)

    // Pushes: every event after it was stored, terminal output in batches, each status change.
    const pushedEvents = pushes.filter((push) => push.name === 'run.event').map((push) => (push.payload as { event: { type: string } }).event.type)
    expect(pushedEvents).toEqual(events.map((event) => event.type))
    const output = pushes.filter((push) => push.name === 'run.output').map((push) => (push.payload as { data: string }).data).join('')
    expect(output).toContain('Training')
    const statuses = pushes.filter((push) => push.name === 'run.status').map((push) => (push.payload as { status: string }).status)
    expect(statuses).toContain('running')
    expect(statuses.at(-1)).toBe('completed')

    // Results: final/ with sizes, the model card, and how to use the demo model.
    const results = core.runs.runResults(run.id)
    expect(results.outputDir).toBe(path.join(run.runDir, 'final'))
    expect(results.files.map((file) => file.path)).toEqual(expect.arrayContaining(['README.md', 'tokenizer.json']))
    expect(results.totalBytes).toBe(results.files.reduce((sum, file) => sum + file.bytes, 0))
    expect(results.modelCard).toContain('localtune/tiny-demo')
    expect(results.snippet).toMatchObject({ language: 'shell', code: expect.stringContaining(`localtune generate ${run.id}`) })
  })

  it('runs one job per device: a second CPU run waits in the queue, visibly, until the first ends', async () => {
    home = makeTrainingHome()
    const { core, pushes } = home
    const first = await core.runs.startDemoRun({ maxSteps: 4 })
    const second = await core.runs.startDemoRun({ maxSteps: 4 })
    expect(second.status).toBe('queued')
    expect(second.queuePosition).toBe(1)

    const [a, b] = await Promise.all([core.runs.waitForRun(first.id, { timeoutMs: 90_000 }), core.runs.waitForRun(second.id, { timeoutMs: 90_000 })])
    expect([a.status, b.status]).toEqual(['completed', 'completed'])

    // Replay the status pushes: never two runs running on the CPU at once, and the second
    // started only after the first had ended.
    const running = new Set<string>()
    let most = 0
    const order: string[] = []
    for (const push of pushes.filter((p) => p.name === 'run.status')) {
      const { runId, status } = push.payload as { runId: string; status: string }
      if (status === 'running') running.add(runId)
      else running.delete(runId)
      most = Math.max(most, running.size)
      order.push(`${runId === first.id ? 'first' : 'second'}:${status}`)
    }
    expect(most).toBe(1)
    expect(order.indexOf('second:running')).toBeGreaterThan(order.indexOf('first:completed'))
    expect(b.startedAt! >= a.endedAt!).toBe(true)
  })

  it('keeps going when events.jsonl gets a line that is not a valid event, and reports it', async () => {
    const warnings: string[] = []
    home = makeTrainingHome({ warn: (message) => warnings.push(message) })
    const { core } = home
    const started = await core.runs.startDemoRun({ maxSteps: 15 })
    await waitUntil(() => core.runs.getRunMetrics(started.id).step.length >= 1, 'the first progress point')
    fs.appendFileSync(path.join(started.runDir, 'events.jsonl'), '{"v": 1, "type": "progress", "step": "not a number"}\nnot json at all\n')
    const run = await core.runs.waitForRun(started.id, { timeoutMs: 90_000 })
    expect(run.status).toBe('completed')
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toContain(started.id)
    expect(warnings[1]).toContain('not valid JSON')
    const progress = readEventsFile(run.runDir).filter((event) => event.type === 'progress' && typeof event.step === 'number')
    expect(core.runs.getRunMetrics(run.id).step).toEqual(progress.map((event) => event.step))
  })

  it('marks a runtime killed with kill -9 as failed, with the signal and the last lines it printed', async () => {
    home = makeTrainingHome()
    const { core } = home
    const started = await core.runs.startDemoRun({ maxSteps: 2000 })
    await waitUntil(() => core.runs.getRunMetrics(started.id).step.length >= 2, 'two progress points')
    const pid = core.runs.summary(started.id).pid!
    process.kill(pid, 'SIGKILL')
    const run = await core.runs.waitForRun(started.id, { timeoutMs: 30_000 })
    expect(run.status).toBe('failed')
    expect(run.failure?.signal).toBe('SIGKILL')
    expect(run.failure?.message).toContain('killed (SIGKILL)')
    expect(run.failure?.advice.join(' ')).toContain('out-of-memory killer')
    expect(run.failure?.outputTail.length).toBeGreaterThan(0)
    expect(run.failure?.outputTail.join('\n')).toContain('Training')
    expect(run.canResume).toBe(true)
    // Nothing the runtime wrote before it died is missing from the index.
    const progress = readEventsFile(run.runDir).filter((event) => event.type === 'progress')
    expect(core.runs.getRunMetrics(run.id).step).toEqual(progress.map((event) => event.step))
  })

  it("fails with the runtime's own error and advice when the data cannot train", async () => {
    home = makeTrainingHome()
    const { core } = home
    const demo = await core.runs.startDemoRun({ maxSteps: 2 })
    await core.runs.waitForRun(demo.id, { timeoutMs: 90_000 })
    // Every prompt is longer than 16 bytes: no response token is left to learn from.
    const run = await core.runs.runAgainWithChanges(demo.id, { max_length: 16 })
    const failed = await core.runs.waitForRun(run.id, { timeoutMs: 90_000 })
    expect(failed.status).toBe('failed')
    expect(failed.failure).toMatchObject({ kind: 'data', exitCode: 1 })
    expect(failed.failure?.message).toContain('max_length=16')
    expect(failed.failure?.advice.join(' ')).toContain('max_length')
  })

  it('refuses bad settings before anything starts, naming the field', async () => {
    home = makeTrainingHome()
    const { core } = home
    const demo = await core.runs.startDemoRun({ maxSteps: 2 })
    await core.runs.waitForRun(demo.id, { timeoutMs: 90_000 })
    await expect(core.runs.runAgainWithChanges(demo.id, { learning_rate: -1 })).rejects.toMatchObject({
      code: 'invalid_request',
      details: [expect.stringContaining('params.learning_rate')]
    })
    await expect(core.runs.runAgainWithChanges(demo.id, { learnin_rate: 0.1 })).rejects.toMatchObject({ details: [expect.stringContaining('learnin_rate')] })
    await expect(
      core.runs.startRun({ settings: { model: { id: 'x/y' }, method: 'lora', mode: 'chat', params: {} }, trainJsonl: path.join(home.home, 'missing.jsonl'), device: { kind: 'cpu' } })
    ).rejects.toThrow(/missing\.jsonl does not exist/)
    expect(core.runs.listRuns()).toHaveLength(1)
  })

  it('deletes a finished run with its folder and rows, and refuses a running one', async () => {
    home = makeTrainingHome()
    const { core } = home
    const running = await core.runs.startDemoRun({ maxSteps: 2000 })
    await waitUntil(() => core.runs.summary(running.id).pid !== null, 'the runtime to start')
    expect(() => core.runs.deleteRun(running.id)).toThrow(/stop it before deleting/)
    core.runs.stopRun(running.id, { force: true })
    const stopped: RunSummary = await core.runs.waitForRun(running.id, { timeoutMs: 30_000 })
    core.runs.deleteRun(stopped.id)
    expect(fs.existsSync(stopped.runDir)).toBe(false)
    expect(core.runs.listRuns()).toEqual([])
    expect(core.db.prepare('SELECT COUNT(*) AS n FROM metrics WHERE run_id = ?').get(stopped.id)).toEqual({ n: 0 })
    expect(() => core.runs.summary(stopped.id)).toThrow(/There is no run/)
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { makeTrainingHome, readEventsFile, startQuickRun, waitUntil, type TrainingHome } from '../../../helpers/training-home'

describe('a torn last line in events.jsonl (a power cut mid-write)', () => {
  let home: TrainingHome | null = null
  afterEach(() => {
    home?.cleanup()
    home = null
  })

  it('costs only that line: the resumed run starts its events on a new line, and the run’s terminal says a line was skipped', async () => {
    home = makeTrainingHome()
    const { core } = home
    const run = await startQuickRun(core, { maxSteps: 12, params: { save_every_steps: 100 } })
    await waitUntil(() => core.runs.getRunMetrics(run.id).step.length >= 2, 'two progress points')
    core.runs.stopRun(run.id)
    const stopped = await core.runs.waitForRun(run.id, { timeoutMs: 60_000 })
    expect(stopped.status).toBe('stopped')

    // What a power cut leaves: half an event, no newline.
    fs.appendFileSync(path.join(run.runDir, 'events.jsonl'), '{"v":1,"type":"progress","time":17000')
    core.runs.resumeRun(run.id)
    const done = await core.runs.waitForRun(run.id, { timeoutMs: 90_000 })
    expect(done.status).toBe('completed')

    const lines = fs.readFileSync(path.join(run.runDir, 'events.jsonl'), 'utf8').split('\n')
    const torn = lines.findIndex((line) => line.startsWith('{"v":1,"type":"progress","time":17000'))
    expect(lines[torn]).toBe('{"v":1,"type":"progress","time":17000')
    // The event written right after the cut is whole (the resumed attempt's first word), and the
    // attempt's start is there too.
    expect(JSON.parse(lines[torn + 1]!)).toMatchObject({ v: 1, run_id: run.id })
    expect(readEventsFile(run.runDir).filter((event) => event.type === 'started').map((event) => event.resumed_from_step)).toEqual([null, stopped.lastStep])
    expect(core.runs.getRunMetrics(run.id).step).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    const history = fs.readFileSync(path.join(run.runDir, 'output.log'), 'utf8')
    expect(history).toContain('[LocalTune] A damaged line of events.jsonl was skipped')
    expect(history).toContain('{"v":1,"type":"progress","time":17000')
  }, 180_000)
})

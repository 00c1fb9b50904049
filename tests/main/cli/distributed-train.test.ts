import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/main/cli/main'
import { findAppRoot } from '../../../src/main/core/app-root'
import { createCore } from '../../../src/main/core/create-core'
import { prepareDemoData } from '../../../src/main/core/runs/demo-run'
import { buildTestModel, hfPython, modelConfigsPresent, testModels } from '../../helpers/model-factory'
import { collectingIo, makeTempHome } from '../../helpers/temp-home'
import { readEventsFile } from '../../helpers/training-home'

/**
 * Distributed training without a GPU: `localtune train --processes 2` starts two CPU ranks
 * (torchrun, gloo) on a real architecture (SmolLM2's Llama layout, shrunk), and the run has one
 * loss curve, written by rank 0 alone, not two interleaved.
 */

const python = hfPython()
const steps = 4

describe.skipIf(!python.python || !modelConfigsPresent())('localtune train --processes 2', () => {
  let temp: { home: string; cleanup(): void }
  let env: NodeJS.ProcessEnv
  let modelFolder: string
  let dataDir: string

  beforeAll(async () => {
    temp = makeTempHome()
    modelFolder = path.join(temp.home, 'smollm2-2l')
    buildTestModel(python.python as string, { ...testModels.smolLm2Tiny, out: modelFolder })
    env = { ...process.env, LOCALTUNE_HOME: temp.home, LOCALTUNE_PYTHON: python.python as string, HF_HUB_OFFLINE: '1' }
    dataDir = path.join(temp.home, 'data')
    await prepareDemoData(findAppRoot(), dataDir)
  }, 120_000)
  afterAll(() => temp?.cleanup())

  it('trains as two CPU ranks through torchrun and records one loss curve, steps 1..N once each', async () => {
    const { io, out, err } = collectingIo()
    const code = await runCli(
      ['train', '--data', dataDir, '--model', modelFolder, '--processes', '2', '--set', `max_steps=${steps}`, '--set', 'micro_batch_size=2', '--set', 'max_length=128', '--set', 'lora.r=4'],
      io,
      { env, home: temp.home }
    )
    expect(code, err.join('\n')).toBe(0)
    const runId = fs.readdirSync(path.join(temp.home, 'runs'))[0]!
    const runDir = path.join(temp.home, 'runs', runId)
    expect(out.join('\n')).toContain(`Run ${runId}: completed at step ${steps}/${steps}`)
    expect(err.join('\n')).toContain(`Run ${runId} created in ${runDir}, to train as 2 ranks on the CPU`)
    // The start summary says how big the batch really is with two ranks.
    expect(err.join('\n')).toContain('effective batch 4 (micro batch 2 × accumulation 1 × 2 ranks)')
    expect(fs.readFileSync(path.join(runDir, 'output.log'), 'utf8')).toContain('on the CPU (2 processes) (2 ranks, torchrun)')

    const events = readEventsFile(runDir)
    expect(events.filter((event) => event.type === 'started')).toMatchObject([{ world_size: 2 }])
    expect(events.filter((event) => event.type === 'progress').map((event) => event.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1))
    expect(events.filter((event) => event.type === 'finished')).toMatchObject([{ status: 'completed' }])

    const core = createCore({ env, home: temp.home, runs: { warn: () => {} } })
    try {
      expect(core.runs.summary(runId)).toMatchObject({ status: 'completed', device: 'cpu', ranks: 2, gpuIndices: [] })
      const curve = core.runs.getRunMetrics(runId)
      expect(curve.step).toEqual(Array.from({ length: steps }, (_, i) => i + 1))
      expect(curve.loss.every((loss) => typeof loss === 'number' && Number.isFinite(loss))).toBe(true)
    } finally {
      core.close()
    }
  }, 120_000)

  it('Ctrl+C stops both ranks after the same step, with a checkpoint, as a stop and not a failure', async () => {
    const runsDir = path.join(temp.home, 'runs')
    const before = fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []
    const newRun = () => (fs.existsSync(runsDir) ? fs.readdirSync(runsDir).find((id) => !before.includes(id)) : undefined)
    const interrupted = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const id = newRun()
        if (id && readEventsFile(path.join(runsDir, id)).some((event) => event.type === 'progress')) {
          clearInterval(timer)
          resolve()
        }
      }, 100)
    })
    const { io, out, err } = collectingIo()
    const code = await runCli(
      ['train', '--data', dataDir, '--model', modelFolder, '--processes', '2', '--set', 'max_steps=2000', '--set', 'micro_batch_size=2', '--set', 'max_length=128', '--set', 'lora.r=4'],
      io,
      { env, home: temp.home, interrupted }
    )
    expect(code, err.join('\n')).toBe(0)
    const runId = newRun()!
    expect(out.join('\n')).toMatch(new RegExp(`Run ${runId}: stopped at step \\d+/2000`))
    const events = readEventsFile(path.join(runsDir, runId))
    const finished = events.filter((event) => event.type === 'finished')
    expect(finished).toMatchObject([{ status: 'stopped' }])
    const checkpoints = events.filter((event) => event.type === 'checkpoint').map((event) => event.step)
    expect(checkpoints.at(-1)).toBe(events.filter((event) => event.type === 'progress').at(-1)?.step)
  }, 120_000)
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../../src/main/cli/main'
import { createCore } from '../../../../src/main/core/create-core'
import { demoCsvPath, prepareDemoData } from '../../../../src/main/core/runs/demo-run'
import { findAppRoot } from '../../../../src/main/core/app-root'
import { collectingIo, makeTempHome } from '../../../helpers/temp-home'
import { readEventsFile, testPython, waitUntil } from '../../../helpers/training-home'

describe('localtune train', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  function setup() {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    return { home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home, LOCALTUNE_PYTHON: testPython } }
  }

  it('trains the demo with its own progress bar and says where the outputs are', async () => {
    const { home, env } = setup()
    const { io, out, err } = collectingIo()
    const code = await runCli(['train', '--demo', '--max-steps', '3'], io, { env, home })
    expect(code).toBe(0)
    const runId = fs.readdirSync(path.join(home, 'runs'))[0]!
    expect(err.join('\n')).toContain(`Run ${runId} created`)
    expect(err.join('\n')).toContain('training localtune/tiny-demo (full, chat) on cpu')
    expect(err.join('\n')).toMatch(/train 100% \[#+\] 3\/3 {2}loss \d+\.\d{4}/)
    // Not the runtime's raw terminal output: that is --verbose.
    expect(err.join('\n')).not.toContain('DEMO MODEL:')
    const summary = out.join('\n')
    expect(summary).toContain(`Run ${runId}: completed at step 3/3`)
    expect(summary).toContain(`Outputs:     ${path.join(home, 'runs', runId, 'final')}`)
    expect(fs.existsSync(path.join(home, 'runs', runId, 'final', 'README.md'))).toBe(true)
  })

  it('stops gracefully on Ctrl+C and says how to resume', async () => {
    const { home, env } = setup()
    const { io, out } = collectingIo()
    const runsDir = path.join(home, 'runs')
    const progressed = () => fs.existsSync(runsDir) && fs.readdirSync(runsDir).some((id) => readEventsFile(path.join(runsDir, id)).some((event) => event.type === 'progress'))
    const interrupted = waitUntil(progressed, 'the first progress event', 90_000)
    const code = await runCli(['train', '--demo', '--max-steps', '2000'], io, { env, home, interrupted })
    expect(code).toBe(0)
    const runId = fs.readdirSync(runsDir)[0]!
    expect(out.join('\n')).toMatch(new RegExp(`Run ${runId}: stopped at step \\d+/2000`))
    expect(out.join('\n')).toContain(`localtune resume ${runId}`)
    const finished = readEventsFile(path.join(runsDir, runId)).filter((event) => event.type === 'finished')
    expect(finished.map((event) => event.status)).toEqual(['stopped'])
  })

  it('trains on a folder written by `localtune format`, with params from --set', async () => {
    const { home, env } = setup()
    const data = path.join(home, 'formatted')
    await prepareDemoData(findAppRoot(), data)
    const { io, out } = collectingIo()
    const code = await runCli(
      ['train', '--data', data, '--model', 'localtune/tiny-demo', '--method', 'lora', '--set', 'max_steps=2', '--set', 'micro_batch_size=2', '--set', 'lora.r=4', '--cpu'],
      io,
      { env, home }
    )
    expect(code).toBe(0)
    const runId = fs.readdirSync(path.join(home, 'runs'))[0]!
    const config = JSON.parse(fs.readFileSync(path.join(home, 'runs', runId, 'run.json'), 'utf8'))
    expect(config).toMatchObject({ method: 'lora', mode: 'chat', params: { max_steps: 2, micro_batch_size: 2, lora: { r: 4 } } })
    expect(out.join('\n')).toContain('completed at step 2/2')
  })

  it('trains a project made in the app, and lists the run under it', async () => {
    const { home, env } = setup()
    const core = createCore({ env, home, runs: { warn: () => {} } })
    let projectId: string
    try {
      const imported = await core.handlers['datasets.import']({ path: demoCsvPath(findAppRoot()) })
      const project = await core.handlers['projects.create']({
        name: 'Unit conversions',
        data: { datasetId: imported.datasetId!, mapping: { mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' }, split: { kind: 'none' }, dropInvalidRows: false },
        model: { id: 'localtune/tiny-demo', path: null, displayName: 'LocalTune tiny demo', demo: true, hasChatTemplate: false },
        settings: { model: { id: 'localtune/tiny-demo', path: null }, method: 'full', mode: 'chat', params: { max_steps: 2, micro_batch_size: 2, max_length: 256 } },
        estimate: { verdict: 'fits', peakBytes: 50_000_000, deviceMemoryBytes: null, deviceLabel: 'CPU', details: {}, riskAccepted: false }
      } as Parameters<(typeof core.handlers)['projects.create']>[0])
      projectId = project.id
    } finally {
      core.close()
    }
    const { io, out } = collectingIo()
    expect(await runCli(['train', '--project', projectId, '--cpu'], io, { env, home })).toBe(0)
    expect(out.join('\n')).toContain('completed at step 2/2')

    const after = createCore({ env, home, runs: { warn: () => {} } })
    try {
      const groups = after.runs.listProjectsWithRuns()
      expect(groups).toEqual([expect.objectContaining({ projectId, name: 'Unit conversions', runs: [expect.objectContaining({ status: 'completed', dataset: 'sample-chat.csv' })] })])
    } finally {
      after.close()
    }
    const wrong = collectingIo()
    expect(await runCli(['train', '--project', 'nope'], wrong.io, { env, home })).toBe(1)
    expect(wrong.err.join('\n')).toContain('There is no project "nope"')
    expect(await runCli(['train', '--project', projectId, '--model', 'x/y'], collectingIo().io, { env, home })).toBe(2)

    // This run only: another method and params; the project keeps what it was verified with.
    const changed = collectingIo()
    expect(await runCli(['train', '--project', projectId, '--method', 'lora', '--set', 'max_steps=1', '--set', 'lora.r=4', '--cpu'], changed.io, { env, home })).toBe(0)
    expect(changed.out.join('\n')).toContain('completed at step 1/1')
    const runIds = fs.readdirSync(path.join(home, 'runs')).sort()
    const config = JSON.parse(fs.readFileSync(path.join(home, 'runs', runIds.at(-1)!, 'run.json'), 'utf8'))
    expect(config).toMatchObject({ method: 'lora', params: { max_steps: 1, micro_batch_size: 2, max_length: 256, lora: { r: 4 } } })
    const check = createCore({ env, home, runs: { warn: () => {} } })
    try {
      expect((await check.handlers['projects.get']({ projectId })).settings).toMatchObject({ method: 'full', params: { max_steps: 2 } })
    } finally {
      check.close()
    }

    // What the CPU cannot train is refused before a run exists, with the fix.
    const fp16 = collectingIo()
    expect(await runCli(['train', '--project', projectId, '--set', 'precision=fp16', '--cpu'], fp16.io, { env, home })).toBe(1)
    expect(fp16.err.join('\n')).toContain('This run cannot start on the CPU: fp16 needs a CUDA GPU; on the CPU choose "auto" or fp32.')
    expect(fs.readdirSync(path.join(home, 'runs'))).toHaveLength(runIds.length)
  })

  it('explains bad device flags: which flag, what value, what to do', async () => {
    const { home, env } = setup()
    const data = path.join(home, 'formatted')
    await prepareDemoData(findAppRoot(), data)
    const refused = async (flags: string[]): Promise<string> => {
      const { io, err } = collectingIo()
      expect(await runCli(['train', '--data', data, '--model', 'x/y', ...flags], io, { env, home })).toBe(2)
      return err.join('\n')
    }
    expect(await refused(['--gpus', '0,one'])).toContain('--gpus takes GPU numbers separated by commas (e.g. --gpus 0,1) or "all", got "0,one".')
    expect(await refused(['--gpus', '1,1'])).toContain('--gpus names GPU 1 twice ("1,1"); list each GPU once.')
    expect(await refused(['--gpu', '0,1'])).toContain('--gpu takes one GPU number; for several use --gpus 0,1.')
    expect(await refused(['--gpus', 'all', '--cpu'])).toContain('Give one of --cpu, --gpu N or --gpus LIST, not --cpu and --gpus.')
    expect(await refused(['--processes', '0'])).toContain('--processes takes the number of CPU processes to train with, e.g. --processes 2, got "0".')
    expect(await refused(['--processes', '2', '--gpus', '0,1'])).toContain('--processes is for CPU ranks; on GPUs each GPU is one rank: choose them with --gpus')
    expect(await refused(['--gpus', 'all', '--nnodes', '2'])).toContain('needs all three of --nnodes N, --node-rank R and --rdzv HOST:PORT')
    expect(await refused(['--gpus', 'all', '--nnodes', '2', '--node-rank', '2', '--rdzv', 'node0:29500'])).toContain('--node-rank is this machine\'s number, 0 to 1 with --nnodes 2, got "2".')
    expect(await refused(['--gpus', 'all', '--nnodes', '2', '--node-rank', '1', '--rdzv', 'node0'])).toContain('--rdzv takes HOST:PORT that every machine reaches, e.g. --rdzv 10.0.0.1:29500, got "node0".')
    expect(await refused(['--nnodes', '2', '--node-rank', '1', '--rdzv', 'node0:29500'])).toContain('With --nnodes, say which devices this machine trains on')
    const { io, out } = collectingIo()
    expect(await runCli(['train', '--help'], io, { env, home })).toBe(0)
    expect(out.join('\n')).toContain('for trying distributed training on a machine\n                     without GPUs')
  })

  it('explains bad arguments and bad settings', async () => {
    const { home, env } = setup()
    const usage = collectingIo()
    expect(await runCli(['train'], usage.io, { env, home })).toBe(2)
    expect(usage.err.join('\n')).toContain('Give one of --demo, --project ID, or --data DIR with --model.')
    const both = collectingIo()
    expect(await runCli(['train', '--demo', '--gpu', '0'], both.io, { env, home })).toBe(2)
    const noData = collectingIo()
    expect(await runCli(['train', '--data', path.join(home, 'nowhere'), '--model', 'x/y'], noData.io, { env, home })).toBe(2)
    expect(noData.err.join('\n')).toContain('dataset-summary.json is missing')

    const data = path.join(home, 'formatted')
    await prepareDemoData(findAppRoot(), data)
    const badParam = collectingIo()
    expect(await runCli(['train', '--data', data, '--model', 'x/y', '--set', 'learning_rate=-1', '--cpu'], badParam.io, { env, home })).toBe(1)
    expect(badParam.err.join('\n')).toContain('params.learning_rate')
  })
})

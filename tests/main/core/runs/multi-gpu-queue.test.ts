import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { PythonRuntimeStatus } from '../../../../src/shared/contract'
import type { DeviceChoice, RunSettings, RunSummary } from '../../../../src/shared/contract/runs'
import { findAppRoot } from '../../../../src/main/core/app-root'
import { EventHub } from '../../../../src/main/core/event-hub'
import { rebuildRunIndex } from '../../../../src/main/core/runs/run-index-rebuild'
import { placementOf } from '../../../../src/main/core/runs/run-placement'
import { RunStore } from '../../../../src/main/core/runs/run-store'
import { RunSupervisor } from '../../../../src/main/core/runs/run-supervisor'
import { openDatabase, type LocalTuneDatabase } from '../../../../src/main/core/store/database'
import { migrations } from '../../../../src/main/core/store/migrations'
import { makeTempHome } from '../../../helpers/temp-home'
import { waitUntil } from '../../../helpers/training-home'

// A stand-in for the runtime's Python on a machine with four GPUs: it writes the argv and the
// GPUs it was given into the run folder, then trains until the test drops a `release` file in.
const standInPython = `#!/bin/sh
for arg; do
  if [ "$previous" = "--run-dir" ]; then dir="$arg"; fi
  previous="$arg"
done
printf '%s\\n%s\\n' "$CUDA_VISIBLE_DEVICES" "$*" > "$dir/launched"
while [ ! -e "$dir/release" ]; do sleep 0.05; done
`

const GiB = 1024 ** 3
const gpu = (index: number) => ({ index, name: 'NVIDIA A100', totalMemoryBytes: 80 * GiB, freeMemoryBytes: 79 * GiB, bf16Supported: true, computeCapability: '8.0' })

const settings: RunSettings = { model: { id: 'org/some-model', path: null }, method: 'lora', mode: 'chat', params: { max_steps: 5 } }

describe('the device queue with runs on several GPUs', () => {
  let cleanup: () => void = () => {}
  afterEach(() => cleanup())

  function machine(): { runs: RunSupervisor; db: LocalTuneDatabase; home: string; start(device: DeviceChoice): Promise<RunSummary> } {
    const temp = makeTempHome()
    const python = path.join(temp.home, 'python')
    fs.writeFileSync(python, standInPython, { mode: 0o755 })
    const status = {
      found: true,
      executable: python,
      source: 'env',
      pythonVersion: '3.12.3',
      torchVersion: '2.13.0+cu128',
      cudaAvailable: true,
      cudaVersion: '12.8',
      packages: {},
      gpus: [gpu(0), gpu(1), gpu(2), gpu(3)],
      tried: [],
      problem: null,
      fix: null
    } as unknown as PythonRuntimeStatus
    const db = openDatabase(temp.home)
    const runs = new RunSupervisor(
      { home: temp.home, appRoot: findAppRoot(), db, events: new EventHub(), env: { PATH: process.env.PATH }, runtimeDir: temp.home, pythonRuntime: async () => status },
      { warn: () => {}, stopTimeoutMs: 2000, eventsPollIntervalMs: 50, queuePollIntervalMs: 50 }
    )
    const trainJsonl = path.join(temp.home, 'train.jsonl')
    fs.writeFileSync(trainJsonl, '{"prompt": "a", "response": "b"}\n')
    cleanup = () => {
      for (const run of runs.listRuns()) fs.writeFileSync(path.join(run.runDir, 'release'), '')
      runs.close()
      db.close()
      temp.cleanup()
    }
    return { runs, db, home: temp.home, start: (device) => runs.startRun({ settings, trainJsonl, device }) }
  }

  const launched = (run: RunSummary): { gpus: string; argv: string } | null => {
    const file = path.join(run.runDir, 'launched')
    if (!fs.existsSync(file)) return null
    const [gpus, argv] = fs.readFileSync(file, 'utf8').split('\n')
    return argv === undefined ? null : { gpus: gpus!, argv }
  }
  const release = async (runs: RunSupervisor, run: RunSummary) => {
    fs.writeFileSync(path.join(run.runDir, 'release'), '')
    await runs.waitForRun(run.id, { timeoutMs: 10_000 })
  }
  const statusOf = (runs: RunSupervisor, run: RunSummary) => runs.summary(run.id)

  it('holds a run until all its GPUs are free, keeps one-GPU runs off GPUs it holds, and lets no later run overtake one that waits', async () => {
    const { runs, start } = machine()
    const pair = await start({ kind: 'gpus', indices: [1, 0] })
    expect(pair).toMatchObject({ device: 'cuda:0,1', gpuIndices: [0, 1], ranks: 2, nodes: 1 })
    await waitUntil(() => launched(pair) !== null, 'the two-GPU run to launch')
    expect(launched(pair)).toEqual({
      gpus: '0,1',
      argv: `-m torch.distributed.run --nproc-per-node=2 --standalone --max-restarts=0 -m localtune_runtime train --run-dir ${pair.runDir}`
    })

    // GPU 1 is held by the pair; the run on GPUs 1 and 2 waits behind it, and holds GPU 2 for
    // itself, so the later run on GPU 2 waits too although GPU 2 is idle.
    const one = await start({ kind: 'gpu', index: 1 })
    const oneTwo = await start({ kind: 'gpus', indices: [1, 2] })
    const two = await start({ kind: 'gpu', index: 2 })
    const three = await start({ kind: 'gpu', index: 3 })
    expect([one, oneTwo, two].map((run) => [run.status, run.queuePosition])).toEqual([['queued', 1], ['queued', 2], ['queued', 2]])
    await waitUntil(() => launched(three) !== null, 'the run on the free GPU 3 to launch')
    expect(launched(three)).toEqual({ gpus: '3', argv: `-m localtune_runtime train --run-dir ${three.runDir}` })

    await release(runs, pair)
    await waitUntil(() => launched(one) !== null, 'the one-GPU run on GPU 1 to launch once the pair ended')
    expect(statusOf(runs, oneTwo)).toMatchObject({ status: 'queued', queuePosition: 1 })
    expect(statusOf(runs, two)).toMatchObject({ status: 'queued', queuePosition: 2 })

    await release(runs, one)
    await waitUntil(() => launched(oneTwo) !== null, 'the run on GPUs 1 and 2 to launch')
    expect(launched(oneTwo)?.gpus).toBe('1,2')
    expect(statusOf(runs, two)).toMatchObject({ status: 'queued', queuePosition: 1 })
    expect(launched(two)).toBeNull()

    await release(runs, oneTwo)
    await waitUntil(() => launched(two) !== null, 'the run on GPU 2 to launch last')
    expect(launched(two)?.gpus).toBe('2')
  })

  it('"all" GPUs are the ones the runtime sees; CPU processes and several machines launch through torchrun with the rendezvous given', async () => {
    const { runs, start } = machine()
    const all = await start({ kind: 'gpus', indices: 'all' })
    expect(all).toMatchObject({ device: 'cuda:0,1,2,3', gpuIndices: [0, 1, 2, 3], ranks: 4 })
    const cpu = await start({ kind: 'cpu', processes: 2, nodes: { count: 2, rank: 1, rendezvous: 'node0.lan:29500' } })
    expect(cpu).toMatchObject({ device: 'cpu', gpuIndices: [], ranks: 4, nodes: 2 })
    await waitUntil(() => launched(all) !== null && launched(cpu) !== null, 'both runs to launch')
    expect(launched(all)?.gpus).toBe('0,1,2,3')
    expect(launched(cpu)).toEqual({
      gpus: '',
      argv: `-m torch.distributed.run --nproc-per-node=2 --nnodes=2 --node-rank=1 --rdzv-backend=c10d --rdzv-endpoint=node0.lan:29500 --max-restarts=0 -m localtune_runtime train --run-dir ${cpu.runDir}`
    })
    // Run again keeps the place: the same GPUs, the same ranks.
    await release(runs, all)
    const again = await runs.runAgainWithChanges(all.id, {})
    expect(again).toMatchObject({ device: 'cuda:0,1,2,3', ranks: 4 })
  })

  it('keeps where a run trained when the index is rebuilt from the run folders', async () => {
    const { runs, db, home, start } = machine()
    const pair = await start({ kind: 'gpus', indices: [2, 3] })
    await waitUntil(() => launched(pair) !== null, 'the run to launch')
    await release(runs, pair)
    db.prepare('DELETE FROM runs').run()
    // As at the next start, once the folder is old enough not to be one being created right now.
    rebuildRunIndex({ home, db, now: Date.now() + 60_000 })
    expect(runs.summary(pair.id)).toMatchObject({ device: 'cuda:2,3', gpuIndices: [2, 3], ranks: 2 })
  })

  it('reads rows from before several GPUs existed as the one GPU (or the CPU) they trained on', () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const older = openDatabase(temp.home, migrations.filter((migration) => migration.version < 7))
    older
      .prepare("INSERT INTO runs (id, status, run_dir, created_at, device_key, gpu_index) VALUES ('on-gpu', 'completed', '/r1', '2026-01-01', 'cuda:2', 2), ('on-cpu', 'completed', '/r2', '2026-01-01', 'cpu', NULL)")
      .run()
    older.close()
    const db = openDatabase(temp.home)
    const store = new RunStore(db)
    expect(placementOf(store.get('on-gpu')!)).toEqual({ gpus: [2], processesPerNode: 1, nodes: null })
    expect(placementOf(store.get('on-cpu')!)).toEqual({ gpus: [], processesPerNode: 1, nodes: null })
    db.close()
  })
})

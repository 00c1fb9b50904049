import { describe, expect, it } from 'vitest'
import type { RunDetail } from '../../../src/shared/contract'
import { withDefaultParams } from '../../../src/shared/run-config/run-config-schema'
import { liveRunActions } from '../../../src/renderer/stores/live-run-store'

function detail(overrides: Partial<RunDetail> = {}): RunDetail {
  return {
    id: 'r1', projectId: null, demo: true, status: 'running', queuePosition: null, baseModel: 'localtune/tiny-demo', method: 'full', mode: 'chat',
    dataset: 'sample-chat.csv (demo)', device: 'cpu', deviceLabel: 'cpu', gpuIndices: [], ranks: 1, nodes: 1, lastStep: 5, totalSteps: 10, finalLoss: null, finalEvalLoss: null,
    peakMemoryBytes: null, durationSeconds: 5, createdAt: '', startedAt: null, endedAt: null, runDir: '/tmp/r1', failure: null, canResume: false, pid: 1,
    config: {
      schema_version: 1, run_id: 'r1', model: { id: 'localtune/tiny-demo', path: null, trust_remote_code: false, allow_downloads: false },
      method: 'full', mode: 'chat', data: { train: 'train.jsonl', valid: null }, params: withDefaultParams({}), merge: false
    },
    checkpoints: [],
    ...overrides
  }
}

const progress = (step: number) => ({ step, totalSteps: 10, epoch: null, loss: 1, lr: null, tokensPerSecond: null, etaSeconds: null, gpuAllocatedBytes: null, gpuPeakBytes: null, time: step })

describe('live-run store', () => {
  it('keeps progress that events delivered while the run was loading when it is newer than the stored points', () => {
    const store = liveRunActions()
    store.runOpened('r1')
    liveRunActions().progressReceived({
      v: 1, type: 'progress', time: 7, run_id: 'r1', step: 7, total_steps: 10, epoch: 1, loss: 0.5, lr: 1e-3, grad_norm: 1, tokens_per_second: 10,
      examples_per_second: 1, elapsed_seconds: 7, eta_seconds: 3, gpu_memory: { allocated_bytes: null, reserved_bytes: null, peak_bytes: null }
    })
    liveRunActions().runLoaded({ detail: detail(), progress: progress(5), lastEval: null })
    expect(liveRunActions().progress?.step).toBe(7)
    expect(liveRunActions().loading).toBe(false)
  })

  it('a refresh without figures keeps the figures it has', () => {
    liveRunActions().runOpened('r1')
    liveRunActions().runLoaded({ detail: detail(), progress: progress(5), lastEval: { step: 4, loss: 2 } })
    liveRunActions().runLoaded({ detail: detail({ status: 'stopped' }), progress: null, lastEval: null })
    expect(liveRunActions().progress?.step).toBe(5)
    expect(liveRunActions().lastEval).toEqual({ step: 4, loss: 2 })
    expect(liveRunActions().summary?.status).toBe('stopped')
  })

  it('takes the checkpoints on disk as the truth, keeping a newer one an event announced', () => {
    liveRunActions().runOpened('r1')
    liveRunActions().checkpointReceived({ v: 1, type: 'checkpoint', time: 1, run_id: 'r1', step: 2, path: 'checkpoints/step-2' })
    liveRunActions().checkpointReceived({ v: 1, type: 'checkpoint', time: 2, run_id: 'r1', step: 6, path: 'checkpoints/step-6' })
    liveRunActions().runLoaded({ detail: detail({ checkpoints: [{ step: 4, path: 'checkpoints/step-4', createdAt: '' }] }), progress: null, lastEval: null })
    expect(liveRunActions().checkpointSteps).toEqual([4, 6])
  })

  it('ignores status pushes of other runs', () => {
    liveRunActions().runOpened('r1')
    liveRunActions().runLoaded({ detail: detail(), progress: null, lastEval: null })
    liveRunActions().runStatusReceived({ ...detail(), id: 'r2', status: 'failed' })
    expect(liveRunActions().summary?.status).toBe('running')
    liveRunActions().runStatusReceived({ ...detail(), status: 'stopping' })
    expect(liveRunActions().summary?.status).toBe('stopping')
    expect(liveRunActions().detail?.config.run_id).toBe('r1')
  })
})

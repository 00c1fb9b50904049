import { describe, expect, it } from 'vitest'
import type { RunSummary } from '../../../src/shared/contract'
import { runHistoryActions } from '../../../src/renderer/stores/run-history-store'

const run = (id: string, projectId: string | null = null): RunSummary => ({
  id, projectId, demo: projectId === null, status: 'completed', queuePosition: null, baseModel: 'm', method: 'lora', mode: 'chat', dataset: null, device: 'cpu',
  deviceLabel: null, gpuIndices: [], ranks: 1, nodes: 1, lastStep: 1, totalSteps: 1, finalLoss: 1, finalEvalLoss: null, peakMemoryBytes: null, durationSeconds: 1, createdAt: '', startedAt: null,
  endedAt: null, runDir: `/tmp/${id}`, failure: null, canResume: false, pid: null
})

describe('run-history store', () => {
  it('ticks at most two runs for comparison, a third replacing the oldest tick', () => {
    const store = runHistoryActions()
    store.historyLoaded([{ projectId: null, name: 'Demo and other runs', runs: [run('a'), run('b'), run('c')] }])
    store.compareToggled('a')
    runHistoryActions().compareToggled('b')
    runHistoryActions().compareToggled('c')
    expect(runHistoryActions().compareIds).toEqual(['b', 'c'])
    runHistoryActions().compareToggled('b')
    expect(runHistoryActions().compareIds).toEqual(['c'])
  })

  it('updates a run in place from a status push and forgets a deleted run everywhere', () => {
    runHistoryActions().historyLoaded([
      { projectId: 'p', name: 'Project', runs: [run('x', 'p')] },
      { projectId: null, name: 'Demo and other runs', runs: [run('y')] }
    ])
    runHistoryActions().runStatusReceived({ ...run('x', 'p'), status: 'failed' })
    expect(runHistoryActions().groups[0]?.runs[0]?.status).toBe('failed')
    runHistoryActions().compareToggled('y')
    runHistoryActions().deleteRequested(run('y'))
    runHistoryActions().runDeleted('y')
    // The project keeps its (now empty) group; the group of loose runs goes when empty.
    expect(runHistoryActions().groups.map((group) => group.name)).toEqual(['Project'])
    expect(runHistoryActions().compareIds).toEqual([])
    expect(runHistoryActions().deleteTarget).toBeNull()
  })
})

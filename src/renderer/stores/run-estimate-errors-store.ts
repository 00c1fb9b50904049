import { create } from 'zustand'
import type { RunEstimateError } from '../../shared/contract'

/** Each run's estimate beside what it measured, by run id, for History (loaded with the list). */
interface RunEstimateErrorsState {
  byRun: Record<string, RunEstimateError>
  actions: { estimateErrorsLoaded(runs: RunEstimateError[]): void }
}

const useRunEstimateErrorsStore = create<RunEstimateErrorsState>()((set) => ({
  byRun: {},
  actions: { estimateErrorsLoaded: (runs) => set({ byRun: Object.fromEntries(runs.map((run) => [run.runId, run])) }) }
}))

export const useRunEstimateError = (runId: string) => useRunEstimateErrorsStore((state) => state.byRun[runId] ?? null)
export const runEstimateErrorsActions = () => useRunEstimateErrorsStore.getState().actions

import { create } from 'zustand'
import type { RunResults } from '../../shared/contract'

interface RunResultsState {
  runId: string | null
  results: RunResults | null
  loading: boolean
  error: string | null
  /** What happened when the user asked to open the folder (only desktop hosts can). */
  folderMessage: string | null
  resultsRequested(runId: string): void
  resultsLoaded(results: RunResults): void
  resultsFailed(message: string): void
  folderOpened(message: string | null): void
}

const useRunResultsStore = create<RunResultsState>()((set) => ({
  runId: null,
  results: null,
  loading: false,
  error: null,
  folderMessage: null,
  resultsRequested: (runId) =>
    set((state) => (state.runId === runId ? { loading: true, error: null } : { runId, results: null, loading: true, error: null, folderMessage: null })),
  resultsLoaded: (results) => set((state) => (state.runId === results.runId ? { results, loading: false } : {})),
  resultsFailed: (message) => set({ loading: false, error: message }),
  folderOpened: (folderMessage) => set({ folderMessage })
}))

export const useRunResults = () => useRunResultsStore((state) => state.results)
export const useRunResultsLoading = () => useRunResultsStore((state) => state.loading)
export const useRunResultsError = () => useRunResultsStore((state) => state.error)
export const useFolderMessage = () => useRunResultsStore((state) => state.folderMessage)

export const runResultsActions = () => useRunResultsStore.getState()

import { create } from 'zustand'
import type { ProjectRuns, RunComparison, RunSummary } from '../../shared/contract'

interface RunHistoryState {
  groups: ProjectRuns[]
  loading: boolean
  loaded: boolean
  error: string | null
  /** Up to two runs ticked for comparison, in the order they were ticked. */
  compareIds: string[]
  comparison: RunComparison | null
  comparing: boolean
  compareError: string | null
  /** The run the delete dialog asks about. */
  deleteTarget: RunSummary | null
  deleting: boolean
  deleteError: string | null

  historyRequested(): void
  historyLoaded(groups: ProjectRuns[]): void
  historyLoadFailed(message: string): void
  runStatusReceived(summary: RunSummary): void
  compareToggled(runId: string): void
  comparisonRequested(): void
  comparisonLoaded(comparison: RunComparison): void
  comparisonFailed(message: string): void
  comparisonClosed(): void
  deleteRequested(run: RunSummary): void
  deleteCancelled(): void
  deleteStarted(): void
  runDeleted(runId: string): void
  deleteFailed(message: string): void
}

const useRunHistoryStore = create<RunHistoryState>()((set) => ({
  groups: [],
  loading: false,
  loaded: false,
  error: null,
  compareIds: [],
  comparison: null,
  comparing: false,
  compareError: null,
  deleteTarget: null,
  deleting: false,
  deleteError: null,

  historyRequested: () => set({ loading: true, error: null }),
  historyLoaded: (groups) =>
    set((state) => {
      const known = new Set(groups.flatMap((group) => group.runs.map((run) => run.id)))
      return { groups, loading: false, loaded: true, compareIds: state.compareIds.filter((id) => known.has(id)) }
    }),
  historyLoadFailed: (message) => set({ loading: false, error: message }),
  runStatusReceived: (summary) =>
    set((state) => ({
      groups: state.groups.map((group) => ({ ...group, runs: group.runs.map((run) => (run.id === summary.id ? summary : run)) }))
    })),
  compareToggled: (runId) =>
    set((state) => {
      if (state.compareIds.includes(runId)) return { compareIds: state.compareIds.filter((id) => id !== runId) }
      // A third tick replaces the older of the two.
      return { compareIds: [...state.compareIds, runId].slice(-2) }
    }),
  comparisonRequested: () => set({ comparing: true, compareError: null }),
  comparisonLoaded: (comparison) => set({ comparison, comparing: false }),
  comparisonFailed: (message) => set({ comparing: false, compareError: message }),
  comparisonClosed: () => set({ comparison: null, compareError: null }),
  deleteRequested: (run) => set({ deleteTarget: run, deleteError: null }),
  deleteCancelled: () => set({ deleteTarget: null, deleteError: null, deleting: false }),
  deleteStarted: () => set({ deleting: true, deleteError: null }),
  runDeleted: (runId) =>
    set((state) => ({
      deleting: false,
      deleteTarget: null,
      groups: state.groups.map((group) => ({ ...group, runs: group.runs.filter((run) => run.id !== runId) })).filter((group) => group.runs.length > 0 || group.projectId !== null),
      compareIds: state.compareIds.filter((id) => id !== runId),
      comparison: state.comparison?.runs.some((run) => run.id === runId) ? null : state.comparison
    })),
  deleteFailed: (message) => set({ deleting: false, deleteError: message })
}))

export const useHistoryGroups = () => useRunHistoryStore((state) => state.groups)
export const useHistoryLoading = () => useRunHistoryStore((state) => state.loading)
export const useHistoryLoaded = () => useRunHistoryStore((state) => state.loaded)
export const useHistoryError = () => useRunHistoryStore((state) => state.error)
export const useCompareIds = () => useRunHistoryStore((state) => state.compareIds)
export const useComparison = () => useRunHistoryStore((state) => state.comparison)
export const useComparing = () => useRunHistoryStore((state) => state.comparing)
export const useCompareError = () => useRunHistoryStore((state) => state.compareError)
export const useDeleteTarget = () => useRunHistoryStore((state) => state.deleteTarget)
export const useDeleting = () => useRunHistoryStore((state) => state.deleting)
export const useDeleteError = () => useRunHistoryStore((state) => state.deleteError)
export const useCompareToggled = () => useRunHistoryStore((state) => state.compareToggled)
export const useComparisonClosed = () => useRunHistoryStore((state) => state.comparisonClosed)
export const useDeleteRequested = () => useRunHistoryStore((state) => state.deleteRequested)
export const useDeleteCancelled = () => useRunHistoryStore((state) => state.deleteCancelled)

/** For services. */
export const runHistoryActions = () => useRunHistoryStore.getState()

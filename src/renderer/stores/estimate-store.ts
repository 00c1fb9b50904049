import { create } from 'zustand'
import type { TokenStats } from '../../shared/estimator'

/**
 * What the estimate needs from the core besides the hardware: the token statistics of the
 * draft train.jsonl with the chosen model's tokenizer. Each result is tagged with the export
 * and model it was computed for (`forKey`), so statistics of an older mapping or another
 * model are never shown as current. The estimate itself is derived in the renderer
 * (features/parameters/use-training-estimate.ts), never stored.
 */

export type TokenStatsState =
  | { status: 'idle' }
  | { status: 'counting'; forKey: string }
  | { status: 'failed'; forKey: string; message: string; details: string[] }
  | { status: 'ready'; forKey: string; trainPath: string; stats: TokenStats }

interface EstimateState {
  tokenStats: TokenStatsState
  actions: {
    tokenCountStarted(forKey: string): void
    tokenStatsCounted(forKey: string, trainPath: string, stats: TokenStats): void
    tokenCountFailed(forKey: string, message: string, details: string[]): void
  }
}

const useEstimateStore = create<EstimateState>()((set, get) => ({
  tokenStats: { status: 'idle' },
  actions: {
    tokenCountStarted: (forKey) => set({ tokenStats: { status: 'counting', forKey } }),
    // A late answer for choices that changed meanwhile is dropped: another count is under way.
    tokenStatsCounted: (forKey, trainPath, stats) => {
      const current = get().tokenStats
      if (current.status === 'counting' && current.forKey === forKey) set({ tokenStats: { status: 'ready', forKey, trainPath, stats } })
    },
    tokenCountFailed: (forKey, message, details) => {
      const current = get().tokenStats
      if (current.status === 'counting' && current.forKey === forKey) set({ tokenStats: { status: 'failed', forKey, message, details } })
    }
  }
}))

export const useTokenStatsState = () => useEstimateStore((state) => state.tokenStats)

export const tokenStatsNow = () => useEstimateStore.getState().tokenStats
export const estimateActions = () => useEstimateStore.getState().actions

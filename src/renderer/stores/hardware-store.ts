import { create } from 'zustand'
import type { GpuMemorySample, HardwareSnapshot } from '../../shared/hardware/types'

/**
 * The machine as the estimate sees it: the last hardware snapshot (GPUs, CPU, RAM) and the
 * latest live GPU memory reading while the estimate panel watches. I/O lives in
 * features/parameters/hardware-service.ts.
 */

interface HardwareState {
  snapshot: HardwareSnapshot | null
  loading: boolean
  error: string | null
  /** The newest live reading; null when nobody watches or no reading came yet. */
  liveSample: GpuMemorySample | null
  actions: {
    snapshotRequested(): void
    snapshotLoaded(snapshot: HardwareSnapshot): void
    snapshotFailed(message: string): void
    vramSampled(sample: GpuMemorySample): void
    vramWatchEnded(): void
  }
}

const useHardwareStore = create<HardwareState>()((set) => ({
  snapshot: null,
  loading: false,
  error: null,
  liveSample: null,
  actions: {
    snapshotRequested: () => set({ loading: true, error: null }),
    snapshotLoaded: (snapshot) => set({ snapshot, loading: false, error: null }),
    snapshotFailed: (error) => set({ loading: false, error }),
    vramSampled: (liveSample) => set({ liveSample }),
    vramWatchEnded: () => set({ liveSample: null })
  }
}))

export const useHardwareSnapshot = () => useHardwareStore((state) => state.snapshot)
export const useHardwareError = () => useHardwareStore((state) => state.error)
export const useLiveVramSample = () => useHardwareStore((state) => state.liveSample)

/** For services. */
export const hardwareNow = () => useHardwareStore.getState()
export const hardwareActions = () => useHardwareStore.getState().actions

import { create } from 'zustand'
import type { DoctorReport } from '../../shared/contract'
import { invoke } from '../api/client'

interface MachineState {
  report: DoctorReport | null
  checking: boolean
  error: string | null
  machineCheckRequested(refresh?: boolean): Promise<void>
}

const useMachineStore = create<MachineState>()((set, get) => ({
  report: null,
  checking: false,
  error: null,
  async machineCheckRequested(refresh = false) {
    if (get().checking) return
    set({ checking: true, error: null })
    try {
      const report = await invoke('system.doctor', { refresh })
      set({ report, checking: false })
    } catch (error) {
      set({ error: (error as Error).message, checking: false })
    }
  }
}))

export const useMachineReport = () => useMachineStore((state) => state.report)
export const useMachineChecking = () => useMachineStore((state) => state.checking)
export const useMachineError = () => useMachineStore((state) => state.error)
export const useMachineCheckRequested = () => useMachineStore((state) => state.machineCheckRequested)

/** For services: re-check the machine after something changed it (e.g. the runtime set-up). */
export const machineCheckRequested = (refresh = false) => useMachineStore.getState().machineCheckRequested(refresh)

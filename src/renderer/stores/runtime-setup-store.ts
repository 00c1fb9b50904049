import { create } from 'zustand'

interface RuntimeSetupState {
  running: boolean
  log: string
  outcome: { ok: boolean; problem: string | null } | null
  setupStarted(): void
  setupOutputReceived(text: string): void
  setupFinished(outcome: { ok: boolean; problem: string | null }): void
}

// The terminal output a set-up can print is bounded so a long pip log cannot grow without end.
const maxLogChars = 200_000

const useRuntimeSetupStore = create<RuntimeSetupState>()((set) => ({
  running: false,
  log: '',
  outcome: null,
  setupStarted: () => set({ running: true, log: '', outcome: null }),
  setupOutputReceived: (text) => set((state) => ({ log: (state.log + text).slice(-maxLogChars) })),
  setupFinished: (outcome) => set({ running: false, outcome })
}))

export const useRuntimeSetup = () => useRuntimeSetupStore((state) => state)
export const runtimeSetupActions = () => useRuntimeSetupStore.getState()

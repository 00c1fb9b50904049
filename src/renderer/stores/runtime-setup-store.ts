import { create } from 'zustand'
import type { RuntimeCapabilitiesView } from '../../shared/contract'

/** How an install from a runtime pack folder ended: what the runtime can do, or why nothing was installed. */
export interface FolderInstallOutcome {
  ok: boolean
  problem: string | null
  capabilities: RuntimeCapabilitiesView | null
  seconds: number
}

interface RuntimeSetupState {
  running: boolean
  /** Which of the panel's two routes is running or ran last: from a package index, or from a folder. */
  route: 'index' | 'folder' | null
  log: string
  outcome: { ok: boolean; problem: string | null } | null
  folderOutcome: FolderInstallOutcome | null
  setupStarted(): void
  setupOutputReceived(text: string): void
  setupFinished(outcome: { ok: boolean; problem: string | null }): void
  folderInstallStarted(): void
  folderInstallFinished(outcome: FolderInstallOutcome): void
}

// The terminal output a set-up can print is bounded so a long pip log cannot grow without end.
const maxLogChars = 200_000

const useRuntimeSetupStore = create<RuntimeSetupState>()((set) => ({
  running: false,
  route: null,
  log: '',
  outcome: null,
  folderOutcome: null,
  setupStarted: () => set({ running: true, route: 'index', log: '', outcome: null, folderOutcome: null }),
  setupOutputReceived: (text) => set((state) => ({ log: (state.log + text).slice(-maxLogChars) })),
  setupFinished: (outcome) => set({ running: false, outcome }),
  folderInstallStarted: () => set({ running: true, route: 'folder', log: '', outcome: null, folderOutcome: null }),
  folderInstallFinished: (folderOutcome) => set({ running: false, folderOutcome })
}))

export const useRuntimeSetup = () => useRuntimeSetupStore((state) => state)
export const runtimeSetupActions = () => useRuntimeSetupStore.getState()

import { create } from 'zustand'
import type { DemoPlan } from '../../shared/contract'

interface DemoState {
  plan: DemoPlan | null
  planError: string | null
  /** The steps input as typed (validated when the demo starts). */
  steps: string
  starting: boolean
  startError: string | null
  planLoaded(plan: DemoPlan): void
  planFailed(message: string): void
  stepsEdited(steps: string): void
  demoStartRequested(): void
  demoStartFailed(message: string): void
  demoStarted(): void
}

const useDemoStore = create<DemoState>()((set) => ({
  plan: null,
  planError: null,
  steps: '',
  starting: false,
  startError: null,
  planLoaded: (plan) => set((state) => ({ plan, planError: null, steps: state.steps || String(plan.defaultMaxSteps) })),
  planFailed: (message) => set({ planError: message }),
  stepsEdited: (steps) => set({ steps, startError: null }),
  demoStartRequested: () => set({ starting: true, startError: null }),
  demoStartFailed: (message) => set({ starting: false, startError: message }),
  demoStarted: () => set({ starting: false })
}))

export const useDemoPlan = () => useDemoStore((state) => state.plan)
export const useDemoPlanError = () => useDemoStore((state) => state.planError)
export const useDemoSteps = () => useDemoStore((state) => state.steps)
export const useDemoStarting = () => useDemoStore((state) => state.starting)
export const useDemoStartError = () => useDemoStore((state) => state.startError)
export const useDemoStepsEdited = () => useDemoStore((state) => state.stepsEdited)

export const demoActions = () => useDemoStore.getState()

import { create } from 'zustand'
import type { RiskyModelSetting } from '../../shared/contract'

/**
 * The risky model settings the user switched on after reading the risk, for one model: choosing
 * another model voids them (the risk was accepted for that model's code and files).
 */
interface RiskyModelSettingsState {
  modelId: string | null
  confirmed: readonly RiskyModelSetting[]
  actions: {
    riskConfirmed(modelId: string, setting: RiskyModelSetting): void
    settingSwitchedOff(setting: RiskyModelSetting): void
  }
}

const none: readonly RiskyModelSetting[] = []

const useRiskyModelSettingsStore = create<RiskyModelSettingsState>()((set) => ({
  modelId: null,
  confirmed: none,
  actions: {
    riskConfirmed: (modelId, setting) =>
      set((state) => {
        const kept = state.modelId === modelId ? state.confirmed.filter((other) => other !== setting) : none
        return { modelId, confirmed: [...kept, setting] }
      }),
    settingSwitchedOff: (setting) => set((state) => ({ confirmed: state.confirmed.filter((other) => other !== setting) }))
  }
}))

function confirmedFor(state: RiskyModelSettingsState, modelId: string | null): readonly RiskyModelSetting[] {
  return modelId !== null && state.modelId === modelId ? state.confirmed : none
}

export const useConfirmedRisksFor = (modelId: string | null) => useRiskyModelSettingsStore((state) => confirmedFor(state, modelId))
export const useRiskyModelSettingsActions = () => useRiskyModelSettingsStore((state) => state.actions)
export const confirmedRisksNow = (modelId: string | null) => confirmedFor(useRiskyModelSettingsStore.getState(), modelId)

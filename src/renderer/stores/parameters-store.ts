import { create } from 'zustand'
import type { TrainingMethod, TrainingParams } from '../../shared/run-config'
import type { GpuSet } from '../features/parameters/gpu-set'
import { fieldsFromParams, type ManualFields, type NumericFieldKey } from '../features/parameters/manual-fields'

/**
 * The training parameters the user is choosing: Auto (LocalTune picks, explained per choice)
 * or Manual (every field editable, kept as typed text until valid), the device to train on,
 * and the explicit risk acceptance, which holds only for the exact estimate it was given for.
 */

export type ParametersMode = 'auto' | 'manual'

type ChoiceField = 'method' | 'precision' | 'full_weights' | 'scheduler' | 'gradient_checkpointing' | 'packing' | 'lora_target_modules'

interface ParametersState {
  mode: ParametersMode
  /** Null until the user first switches to Manual (it starts from Auto's choice then). */
  manual: ManualFields | null
  /** "cpu" or "gpu:<index>"; null lets Auto's device choice stand. */
  deviceKey: string | null
  /** The estimate signature the user accepted the risk for; any change to the choices voids it. */
  riskAcceptedFor: string | null
  /** LoRA/QLoRA: also save the base model with the adapter merged in (run.json `merge`). */
  merge: boolean
  /** On a machine with several GPUs: train on the estimate's one device, on all GPUs, or on these (see gpu-set.ts). */
  gpuSet: GpuSet
  actions: {
    autoChosen(): void
    /** Switches to Manual; the form starts from `from` unless it was already filled in. */
    manualChosen(from: { method: TrainingMethod; params: TrainingParams }): void
    numberEdited(field: NumericFieldKey, text: string): void
    choiceEdited<K extends ChoiceField>(field: K, value: ManualFields[K]): void
    /** A suggestion (or any complete set) applied: Manual mode with exactly these values. */
    paramsApplied(method: TrainingMethod, params: TrainingParams): void
    deviceChosen(deviceKey: string | null): void
    riskAccepted(signature: string | null): void
    mergeChosen(merge: boolean): void
    gpuSetChosen(gpuSet: GpuSet): void
    /** A new model or dataset: Manual values made for the old one no longer apply. */
    choicesReset(): void
  }
}

const useParametersStore = create<ParametersState>()((set) => ({
  mode: 'auto',
  manual: null,
  deviceKey: null,
  riskAcceptedFor: null,
  merge: false,
  gpuSet: 'one',
  actions: {
    autoChosen: () => set({ mode: 'auto', riskAcceptedFor: null }),
    manualChosen: (from) => set((state) => ({ mode: 'manual', manual: state.manual ?? fieldsFromParams(from.method, from.params), riskAcceptedFor: null })),
    numberEdited: (field, text) =>
      set((state) => (state.manual ? { manual: { ...state.manual, numbers: { ...state.manual.numbers, [field]: text } }, riskAcceptedFor: null } : {})),
    choiceEdited: (field, value) => set((state) => (state.manual ? { manual: { ...state.manual, [field]: value }, riskAcceptedFor: null } : {})),
    paramsApplied: (method, params) => set({ mode: 'manual', manual: fieldsFromParams(method, params), riskAcceptedFor: null }),
    deviceChosen: (deviceKey) => set({ deviceKey, riskAcceptedFor: null }),
    riskAccepted: (riskAcceptedFor) => set({ riskAcceptedFor }),
    // The merged copy changes what is saved, not memory or time: the estimate and its risk acceptance stand.
    mergeChosen: (merge) => set({ merge }),
    gpuSetChosen: (gpuSet) => set({ gpuSet }),
    choicesReset: () => set({ mode: 'auto', manual: null, deviceKey: null, riskAcceptedFor: null, gpuSet: 'one' })
  }
}))

export const useParametersMode = () => useParametersStore((state) => state.mode)
export const useManualFields = () => useParametersStore((state) => state.manual)
export const useDeviceKey = () => useParametersStore((state) => state.deviceKey)
export const useRiskAcceptedFor = () => useParametersStore((state) => state.riskAcceptedFor)
export const useMergeChosen = () => useParametersStore((state) => state.merge)
export const useGpuSet = () => useParametersStore((state) => state.gpuSet)
export const useParametersActions = () => useParametersStore((state) => state.actions)

export const parametersActions = () => useParametersStore.getState().actions
export const parametersNow = () => useParametersStore.getState()

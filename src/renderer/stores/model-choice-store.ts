import { create } from 'zustand'

/** The base model the user picked on the Model screen, as much as other screens need of it. */
export interface ChosenModel {
  /** Hub id (`org/name`) or `localtune/tiny-demo`. */
  id: string
  /** The folder it loads from (HF cache snapshot or a user folder); null for the built-in demo. */
  path: string | null
  displayName: string
  /** The built-in tiny demo model (plain PyTorch, CPU-capable; not a real language model). */
  demo: boolean
  /** Its tokenizer_config.json has a chat template the Data screen can offer. */
  hasChatTemplate: boolean
}

interface ModelChoiceState {
  model: ChosenModel | null
  modelChosen(model: ChosenModel | null): void
}

const useModelChoiceStore = create<ModelChoiceState>()((set) => ({
  model: null,
  modelChosen: (model) => set({ model })
}))

export const useChosenModel = () => useModelChoiceStore((state) => state.model)
export const useModelChosen = () => useModelChoiceStore((state) => state.modelChosen)
export const chosenModelNow = () => useModelChoiceStore.getState().model

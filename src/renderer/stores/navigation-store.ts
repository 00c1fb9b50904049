import { create } from 'zustand'

/** The screens of the app, in the order of the work. */
export const workSteps = ['data', 'model', 'parameters', 'train', 'results'] as const
export type WorkStep = (typeof workSteps)[number]
export type Screen = 'welcome' | 'history' | WorkStep

export const screenTitles: Record<Screen, string> = {
  welcome: 'Welcome',
  history: 'History',
  data: 'Data',
  model: 'Model',
  parameters: 'Parameters & estimate',
  train: 'Train',
  results: 'Results'
}

interface NavigationState {
  screen: Screen
  screenChosen(screen: Screen): void
}

const useNavigationStore = create<NavigationState>()((set) => ({
  screen: 'welcome',
  screenChosen: (screen) => set({ screen })
}))

export const useScreen = () => useNavigationStore((state) => state.screen)
export const useScreenChosen = () => useNavigationStore((state) => state.screenChosen)
/** For services that move the user on after an action (e.g. a created project opens Train). */
export const goToScreen = (screen: Screen) => useNavigationStore.getState().screenChosen(screen)

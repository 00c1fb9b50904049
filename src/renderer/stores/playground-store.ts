import { create } from 'zustand'

export type PlaygroundSide = 'tuned' | 'base'

export interface PlaygroundAnswer {
  requestId: string | null
  text: string
  state: 'idle' | 'generating' | 'done' | 'failed'
  error: string | null
}

interface PlaygroundState {
  runId: string | null
  prompt: string
  maxNewTokens: string
  tuned: PlaygroundAnswer
  base: PlaygroundAnswer
  playgroundOpened(runId: string, examplePrompt: string | null): void
  promptEdited(prompt: string): void
  maxNewTokensEdited(value: string): void
  generationStarted(side: PlaygroundSide, requestId: string): void
  textStreamed(requestId: string, text: string): void
  generationFinished(requestId: string, outcome: { text: string; error: string | null }): void
}

const idle: PlaygroundAnswer = { requestId: null, text: '', state: 'idle', error: null }

const sideOf = (state: PlaygroundState, requestId: string): PlaygroundSide | null =>
  state.tuned.requestId === requestId ? 'tuned' : state.base.requestId === requestId ? 'base' : null

const usePlaygroundStore = create<PlaygroundState>()((set) => ({
  runId: null,
  prompt: '',
  maxNewTokens: '128',
  tuned: idle,
  base: idle,
  playgroundOpened: (runId, examplePrompt) =>
    set((state) => (state.runId === runId ? {} : { runId, prompt: examplePrompt ?? '', tuned: idle, base: idle })),
  promptEdited: (prompt) => set({ prompt }),
  maxNewTokensEdited: (maxNewTokens) => set({ maxNewTokens }),
  generationStarted: (side, requestId) => set({ [side]: { requestId, text: '', state: 'generating', error: null } }),
  textStreamed: (requestId, text) =>
    set((state) => {
      const side = sideOf(state, requestId)
      return side && state[side].state === 'generating' ? { [side]: { ...state[side], text: state[side].text + text } } : {}
    }),
  generationFinished: (requestId, { text, error }) =>
    set((state) => {
      const side = sideOf(state, requestId)
      return side ? { [side]: { ...state[side], text, state: error ? 'failed' : 'done', error } } : {}
    })
}))

export const usePlaygroundPrompt = () => usePlaygroundStore((state) => state.prompt)
export const usePlaygroundMaxTokens = () => usePlaygroundStore((state) => state.maxNewTokens)
export const usePlaygroundAnswer = (side: PlaygroundSide) => usePlaygroundStore((state) => state[side])
export const usePromptEdited = () => usePlaygroundStore((state) => state.promptEdited)
export const useMaxNewTokensEdited = () => usePlaygroundStore((state) => state.maxNewTokensEdited)

export const playgroundActions = () => usePlaygroundStore.getState()

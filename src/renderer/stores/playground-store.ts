import { create } from 'zustand'
import type { PlaygroundModel, RunResults } from '../../shared/contract'

export type PlaygroundSide = 'tuned' | 'base'

/** How the person asks: the run's own fields (formatted like the training data) or a raw prompt. */
export type PlaygroundAskMode = 'fields' | 'text' | 'raw'

export interface PlaygroundAnswer {
  text: string
  state: 'idle' | 'waiting' | 'generating' | 'done' | 'failed'
  error: string | null
  /** Why it stopped: the model ended its answer, or max new tokens ran out. */
  stop: 'end' | 'length' | null
}

interface PlaygroundState {
  runId: string | null
  askMode: PlaygroundAskMode
  /** What a fields/text question falls back to: the run's own kind of input. */
  runInput: 'fields' | 'text'
  instruction: string
  context: string
  text: string
  rawPrompt: string
  maxNewTokens: string
  requestId: string | null
  /** The prompt exactly as the model read it, once an answer came back. */
  promptSent: string | null
  notice: string | null
  tuned: PlaygroundAnswer
  base: PlaygroundAnswer
  playgroundOpened(results: RunResults): void
  askModeChosen(mode: PlaygroundAskMode): void
  questionEdited(change: Partial<Pick<PlaygroundState, 'instruction' | 'context' | 'text' | 'rawPrompt'>>): void
  maxNewTokensEdited(value: string): void
  generationStarted(requestId: string): void
  textStreamed(requestId: string, model: PlaygroundModel, text: string): void
  generationFinished(
    requestId: string,
    outcome: { prompt: string | null; notice: string | null; answers: { model: PlaygroundModel; text: string; stop: 'end' | 'length' }[]; error: string | null }
  ): void
}

const idle: PlaygroundAnswer = { text: '', state: 'idle', error: null, stop: null }
const sideOf = (model: PlaygroundModel): PlaygroundSide => (model === 'base' ? 'base' : 'tuned')

const usePlaygroundStore = create<PlaygroundState>()((set) => ({
  runId: null,
  askMode: 'fields',
  runInput: 'fields',
  instruction: '',
  context: '',
  text: '',
  rawPrompt: '',
  maxNewTokens: '128',
  requestId: null,
  promptSent: null,
  notice: null,
  tuned: idle,
  base: idle,
  playgroundOpened: (results) =>
    set((state) =>
      state.runId === results.runId
        ? {}
        : {
            runId: results.runId,
            askMode: results.playgroundInput,
            runInput: results.playgroundInput,
            instruction: results.exampleFields?.instruction ?? '',
            context: results.exampleFields?.context ?? '',
            text: results.playgroundInput === 'text' ? (results.examplePrompt ?? '') : '',
            rawPrompt: results.examplePrompt ?? '',
            requestId: null,
            promptSent: null,
            notice: null,
            tuned: idle,
            base: idle
          }
    ),
  askModeChosen: (askMode) => set({ askMode }),
  questionEdited: (change) => set(change),
  maxNewTokensEdited: (maxNewTokens) => set({ maxNewTokens }),
  // The finetuned model answers first, then the base model, in one runtime process.
  generationStarted: (requestId) =>
    set({ requestId, promptSent: null, notice: null, tuned: { ...idle, state: 'generating' }, base: { ...idle, state: 'waiting' } }),
  textStreamed: (requestId, model, text) =>
    set((state) => {
      if (state.requestId !== requestId) return {}
      const side = sideOf(model)
      const answer = state[side]
      if (answer.state !== 'generating' && answer.state !== 'waiting') return {}
      // Text from the base model means the finetuned answer is complete.
      const finishedTuned = side === 'base' && state.tuned.state === 'generating' ? { tuned: { ...state.tuned, state: 'done' as const } } : {}
      return { ...finishedTuned, [side]: { ...answer, state: 'generating', text: answer.text + text } }
    }),
  generationFinished: (requestId, { prompt, notice, answers, error }) =>
    set((state) => {
      if (state.requestId !== requestId) return {}
      const next: Partial<PlaygroundState> = { promptSent: prompt, notice }
      for (const side of ['tuned', 'base'] as const) {
        const answer = answers.find((candidate) => sideOf(candidate.model) === side)
        next[side] = answer ? { text: answer.text, state: 'done', error: null, stop: answer.stop } : { ...state[side], state: 'failed', error: error ?? 'No answer came back.', stop: null }
      }
      return next
    })
}))

export const usePlaygroundAskMode = () => usePlaygroundStore((state) => state.askMode)
export const usePlaygroundRunInput = () => usePlaygroundStore((state) => state.runInput)
export const usePlaygroundInstruction = () => usePlaygroundStore((state) => state.instruction)
export const usePlaygroundContext = () => usePlaygroundStore((state) => state.context)
export const usePlaygroundText = () => usePlaygroundStore((state) => state.text)
export const usePlaygroundRawPrompt = () => usePlaygroundStore((state) => state.rawPrompt)
export const usePlaygroundMaxTokens = () => usePlaygroundStore((state) => state.maxNewTokens)
export const usePlaygroundPromptSent = () => usePlaygroundStore((state) => state.promptSent)
export const usePlaygroundNotice = () => usePlaygroundStore((state) => state.notice)
export const usePlaygroundAnswer = (side: PlaygroundSide) => usePlaygroundStore((state) => state[side])

export const playgroundActions = () => usePlaygroundStore.getState()

import { create } from 'zustand'
import type { ExportFormat, ExportPlan, ExportRecord, ExportStage, GgufQuant } from '../../shared/contract'

/** The Results screen's exports: the choice being made, its plan, the export running, the exports made. */

export interface ExportChoice {
  format: ExportFormat
  quant: GgufQuant
  ollama: boolean
}

export interface ExportProgress {
  exportId: string
  stage: ExportStage
  message: string
  fraction: number | null
}

export interface ExportAnswer {
  text: string
  state: 'idle' | 'generating' | 'done' | 'failed'
  error: string | null
  /** Tokens and seconds of the last answer: llama.cpp's speed on this machine. */
  tokens: number | null
  seconds: number | null
  stop: 'end' | 'length' | null
}

export interface AutoTrainSaved {
  configPath: string
  csvPath: string
  yaml: string
  notes: string[]
}

interface ExportState {
  runId: string | null
  choice: ExportChoice
  plan: ExportPlan | null
  planError: string | null
  records: ExportRecord[]
  progress: ExportProgress | null
  error: string | null
  answerRequestId: string | null
  answer: ExportAnswer
  autoTrain: AutoTrainSaved | null
  autoTrainError: string | null
  autoTrainSaved(saved: AutoTrainSaved | null, error: string | null): void
  exportsOpened(runId: string): void
  exportsLoaded(runId: string, records: ExportRecord[]): void
  choiceChanged(change: Partial<ExportChoice>): void
  planLoaded(plan: ExportPlan | null, error: string | null): void
  exportStarted(exportId: string): void
  progressReported(progress: ExportProgress): void
  exportFinished(record: ExportRecord | null, error: string | null): void
  answerStarted(requestId: string): void
  answerStreamed(requestId: string, text: string): void
  answerFinished(requestId: string, outcome: { text: string; tokens: number | null; seconds: number | null; stop: 'end' | 'length' | null; error: string | null }): void
}

const idleAnswer: ExportAnswer = { text: '', state: 'idle', error: null, tokens: null, seconds: null, stop: null }

const useExportStore = create<ExportState>()((set) => ({
  runId: null,
  choice: { format: 'gguf', quant: 'q8_0', ollama: true },
  plan: null,
  planError: null,
  records: [],
  progress: null,
  error: null,
  answerRequestId: null,
  answer: idleAnswer,
  autoTrain: null,
  autoTrainError: null,
  autoTrainSaved: (autoTrain, autoTrainError) => set({ autoTrain, autoTrainError }),
  exportsOpened: (runId) =>
    set((state) =>
      state.runId === runId ? {} : { runId, plan: null, planError: null, records: [], progress: null, error: null, answerRequestId: null, answer: idleAnswer, autoTrain: null, autoTrainError: null }
    ),
  exportsLoaded: (runId, records) => set((state) => (state.runId === runId ? { records } : {})),
  choiceChanged: (change) => set((state) => ({ choice: { ...state.choice, ...change }, plan: null, planError: null })),
  planLoaded: (plan, planError) => set({ plan, planError }),
  exportStarted: (exportId) => set({ progress: { exportId, stage: 'plan', message: 'Starting the export…', fraction: null }, error: null }),
  progressReported: (progress) => set((state) => (state.progress?.exportId === progress.exportId ? { progress } : {})),
  exportFinished: (record, error) =>
    set((state) => ({
      progress: null,
      error,
      records: record ? [record, ...state.records.filter((existing) => existing.id !== record.id)] : state.records
    })),
  answerStarted: (requestId) => set({ answerRequestId: requestId, answer: { ...idleAnswer, state: 'generating' } }),
  answerStreamed: (requestId, text) =>
    set((state) => (state.answerRequestId === requestId ? { answer: { ...state.answer, text: state.answer.text + text } } : {})),
  answerFinished: (requestId, outcome) =>
    set((state) =>
      state.answerRequestId === requestId
        ? { answer: { text: outcome.error ? state.answer.text : outcome.text, state: outcome.error ? 'failed' : 'done', error: outcome.error, tokens: outcome.tokens, seconds: outcome.seconds, stop: outcome.stop } }
        : {}
    )
}))

export const useExportChoice = () => useExportStore((state) => state.choice)
export const useExportPlan = () => useExportStore((state) => state.plan)
export const useExportPlanError = () => useExportStore((state) => state.planError)
export const useExportRecords = () => useExportStore((state) => state.records)
export const useExportProgress = () => useExportStore((state) => state.progress)
export const useExportError = () => useExportStore((state) => state.error)
export const useExportAnswer = () => useExportStore((state) => state.answer)
export const useAutoTrainSaved = () => useExportStore((state) => state.autoTrain)
export const useAutoTrainError = () => useExportStore((state) => state.autoTrainError)

/** The newest GGUF export, which the playground answers with. */
export const useGgufExport = () => useExportStore((state) => state.records.find((record) => record.ggufPath !== null) ?? null)

export const exportActions = () => useExportStore.getState()

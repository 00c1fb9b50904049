import { create } from 'zustand'
import type { EventPayloadOf } from '../../shared/contract'
import type { CsvInspection, CsvPreview } from '../../shared/dataset/inspection'
import type { MappingSuggestion } from '../../shared/dataset/mapping-suggestion'
import type { DatasetValidation } from '../../shared/dataset/summary'
import { draftFromMapping, emptyMappingDraft, type MappingDraft } from '../features/data/mapping-draft'

/**
 * The Data screen's working state while a CSV comes in and gets mapped: the import's progress,
 * what reading the file found, the mapping being edited and the last row check. What later
 * steps need lives in dataset-draft-store; this store is the screen's own.
 */

export type IntakePhase =
  /** No file yet. */
  | 'idle'
  /** Browser mode: the file is streaming into LocalTune's home folder. */
  | 'uploading'
  /** The core is reading the whole file (the first rows may already be shown). */
  | 'reading'
  | 'ready'
  /** Read, but the file cannot be used (binary, empty); see the inspection's problems. */
  | 'unusable'
  | 'failed'

export interface IntakeError {
  message: string
  /** Where: file, row, column, field. */
  details: string[]
}

type ImportProgress = Omit<EventPayloadOf<'datasets.import-progress'>, 'importId' | 'path'>

interface DatasetIntakeState {
  phase: IntakePhase
  /** Changes with every import, so late answers of an earlier one are ignored. */
  importId: string | null
  /** The file as the user chose it (name and size), shown while it uploads. */
  chosenFile: { name: string; sizeBytes: number } | null
  /** Other files dropped with it, which LocalTune did not read (one CSV at a time). */
  ignoredFiles: string[]
  /** Set when the file on disk is no longer what was imported (edited since, or gone). */
  sourceChange: string | null
  sourcePath: string | null
  /** What the user said about the header; undefined: LocalTune decides. */
  hasHeader: boolean | undefined
  progress: ImportProgress | null
  preview: CsvPreview | null
  inspection: CsvInspection | null
  error: IntakeError | null
  mappingDraft: MappingDraft
  /** The user changed a column choice: later suggestions no longer replace the draft. */
  mappingEdited: boolean
  /** The data row shown in the formatted preview. */
  previewRow: number
  checking: boolean
  validation: DatasetValidation | null
  checkError: IntakeError | null
  actions: DatasetIntakeActions
}

export interface DatasetIntakeActions {
  fileChosen(file: { name: string; sizeBytes: number }, ignoredFiles?: string[]): void
  sourceChecked(importId: string, change: string | null): void
  uploadFinished(sourcePath: string): void
  /** `keepMapping`: the same file read again: the user's column choices stay (where the columns still exist). */
  importStarted(importId: string, sourcePath: string, hasHeader: boolean | undefined, keepMapping?: MappingDraft): void
  importProgressed(importId: string, progress: ImportProgress): void
  previewReceived(importId: string, preview: CsvPreview): void
  inspectionReceived(importId: string, inspection: CsvInspection): void
  intakeFailed(importId: string | null, error: IntakeError): void
  mappingDraftChanged(patch: Partial<MappingDraft>): void
  suggestionAccepted(suggestion: MappingSuggestion): void
  previewRowChosen(row: number): void
  checkStarted(): void
  checkFinished(validation: DatasetValidation): void
  checkFailed(error: IntakeError): void
}

const fresh = {
  progress: null,
  preview: null,
  inspection: null,
  error: null,
  mappingDraft: emptyMappingDraft,
  mappingEdited: false,
  previewRow: 1,
  checking: false,
  validation: null,
  checkError: null
}

/** A kept mapping loses the choices of columns the file no longer has. */
function withColumnsOf(draft: MappingDraft, columns: readonly string[]): MappingDraft {
  const known = (name: string) => (columns.includes(name) ? name : '')
  return { ...draft, text: known(draft.text), prompt: known(draft.prompt), context: known(draft.context), response: known(draft.response), promptStart: known(draft.promptStart) }
}

const useDatasetIntakeStore = create<DatasetIntakeState>()((set, get) => {
  const current = (importId: string | null) => importId === null || get().importId === importId
  const suggested = (suggestion: MappingSuggestion | null): Partial<DatasetIntakeState> =>
    get().mappingEdited || !suggestion?.mapping ? {} : { mappingDraft: draftFromMapping(suggestion.mapping) }
  return {
    phase: 'idle',
    importId: null,
    chosenFile: null,
    ignoredFiles: [],
    sourceChange: null,
    sourcePath: null,
    hasHeader: undefined,
    ...fresh,
    actions: {
      fileChosen: (file, ignoredFiles = []) =>
        set({ phase: 'uploading', importId: null, chosenFile: file, ignoredFiles, sourceChange: null, sourcePath: null, hasHeader: undefined, ...fresh }),
      sourceChecked: (importId, sourceChange) => {
        if (current(importId)) set({ sourceChange })
      },
      uploadFinished: (sourcePath) => set({ sourcePath }),
      importStarted: (importId, sourcePath, hasHeader, keepMapping) =>
        set({
          phase: 'reading',
          importId,
          sourcePath,
          hasHeader,
          sourceChange: null,
          ...fresh,
          ...(keepMapping ? { mappingDraft: keepMapping, mappingEdited: true } : {})
        }),
      importProgressed: (importId, progress) => {
        if (current(importId)) set({ progress })
      },
      previewReceived: (importId, preview) => {
        if (current(importId)) set({ preview, ...suggested(preview.suggestion) })
      },
      inspectionReceived: (importId, inspection) => {
        if (!current(importId)) return
        set({
          inspection,
          phase: inspection.usable ? 'ready' : 'unusable',
          progress: null,
          ...suggested(inspection.suggestion),
          ...(get().mappingEdited ? { mappingDraft: withColumnsOf(get().mappingDraft, inspection.layout?.columns ?? []) } : {})
        })
      },
      intakeFailed: (importId, error) => {
        if (current(importId)) set({ phase: 'failed', error, progress: null })
      },
      mappingDraftChanged: (patch) => set((state) => ({ mappingDraft: { ...state.mappingDraft, ...patch }, mappingEdited: true, validation: null, checkError: null })),
      suggestionAccepted: (suggestion) => set({ mappingDraft: draftFromMapping(suggestion.mapping), mappingEdited: false, validation: null, checkError: null }),
      previewRowChosen: (previewRow) => set({ previewRow }),
      checkStarted: () => set({ checking: true, checkError: null }),
      checkFinished: (validation) => set({ checking: false, validation }),
      checkFailed: (checkError) => set({ checking: false, checkError })
    }
  }
})

export const useIntakePhase = () => useDatasetIntakeStore((state) => state.phase)
export const useChosenFile = () => useDatasetIntakeStore((state) => state.chosenFile)
export const useIgnoredFiles = () => useDatasetIntakeStore((state) => state.ignoredFiles)
export const useSourceChange = () => useDatasetIntakeStore((state) => state.sourceChange)
export const useImportProgress = () => useDatasetIntakeStore((state) => state.progress)
export const useCsvPreview = () => useDatasetIntakeStore((state) => state.preview)
export const useCsvInspection = () => useDatasetIntakeStore((state) => state.inspection)
export const useIntakeError = () => useDatasetIntakeStore((state) => state.error)
export const useMappingDraft = () => useDatasetIntakeStore((state) => state.mappingDraft)
export const useMappingEdited = () => useDatasetIntakeStore((state) => state.mappingEdited)
export const usePreviewRow = () => useDatasetIntakeStore((state) => state.previewRow)
export const useRowCheck = () => useDatasetIntakeStore((state) => state.checking)
export const useRowValidation = () => useDatasetIntakeStore((state) => state.validation)
export const useRowCheckError = () => useDatasetIntakeStore((state) => state.checkError)
export const useDatasetIntakeActions = () => useDatasetIntakeStore((state) => state.actions)

/** For services. */
export const datasetIntakeNow = () => useDatasetIntakeStore.getState()
export const datasetIntakeActions = () => useDatasetIntakeStore.getState().actions

import { useMemo } from 'react'
import { create } from 'zustand'
import type { RequestOf, ResponseOf } from '../../shared/contract'
import type { ChatTemplateSpec, DatasetMapping, DatasetMode, TrainingFormatOptions } from '../../shared/dataset/mapping'
import type { ValidationSplit } from '../../shared/dataset/validation-split'
import { chosenModelNow, useChosenModel, type ChosenModel } from './model-choice-store'

/**
 * What the Data step decided, for every later step: which imported CSV, how its columns map to
 * a training example, the text format, the validation split and whether rows that cannot train
 * are dropped. The Data screen writes it; Parameters & estimate and project creation read it
 * (see `exportRequestNow` for the one call that turns it into train.jsonl).
 */

/** The model's own chat template, and which model it came from (it is only valid for that model). */
export interface ModelChatTemplate {
  modelId: string
  modelPath: string
  displayName: string
  spec: ChatTemplateSpec
}

/** The training files written into the draft folder for the current choices (datasets.export). */
export type DraftExport = ResponseOf<'datasets.export'>

export interface ImportedDataset {
  datasetId: string
  /** The CSV as LocalTune reads it (for uploads: the copy under <home>/uploads/). */
  sourcePath: string
  fileName: string
  rowCount: number
  columns: string[]
}

interface DatasetDraftState {
  dataset: ImportedDataset | null
  /** The mapping the user confirmed ("Use this mapping") and that was checked against every row. */
  mapping: DatasetMapping | null
  /** Rows that can / cannot train with `mapping`; null until it was checked. */
  checkedRows: { trainable: number; invalid: number } | null
  /** '' uses the built-in preambles (one for rows with a context, one without). */
  promptStartText: string
  trainOnResponseOnly: boolean
  /** Non-null: chat rows render with this model's template instead of the LocalTune format. */
  chatTemplate: ModelChatTemplate | null
  /** Null until LocalTune proposed one for the checked row count, or the user chose one. */
  split: ValidationSplit | null
  splitChosenBy: 'default' | 'user'
  /** For a file split: the name to show (the path may be an upload copy). */
  splitFileName: string | null
  dropInvalidRows: boolean
  /** Null whenever a choice changed since the last export. */
  draftExport: DraftExport | null
  actions: DatasetDraftActions
}

export interface DatasetDraftActions {
  datasetImported(dataset: ImportedDataset): void
  datasetCleared(): void
  mappingConfirmed(mapping: DatasetMapping, rows: { trainable: number; invalid: number }, defaultSplit: ValidationSplit): void
  /** The wizard no longer shows the confirmed mapping (the user changed a column). */
  mappingUnconfirmed(): void
  promptStartTextChanged(text: string): void
  trainOnResponseOnlyChanged(on: boolean): void
  chatTemplateChosen(template: ModelChatTemplate | null): void
  splitChosen(split: ValidationSplit, fileName?: string | null): void
  /** The user is typing a split that is not valid yet (e.g. 0%): nothing is proposed meanwhile. */
  splitEntryInvalid(): void
  dropInvalidRowsChanged(drop: boolean): void
  draftExported(result: DraftExport): void
}

type DraftData = Omit<DatasetDraftState, 'actions'>

const useDatasetDraftStore = create<DatasetDraftState>()((set) => {
  // Every change to what would be written makes the last export stale.
  const change = (patch: Partial<DraftData>) => set({ ...patch, draftExport: null })
  return {
    dataset: null,
    mapping: null,
    checkedRows: null,
    promptStartText: '',
    trainOnResponseOnly: true,
    chatTemplate: null,
    split: null,
    splitChosenBy: 'default',
    splitFileName: null,
    dropInvalidRows: false,
    draftExport: null,
    actions: {
      // A new file has other columns and rows: the mapping, counts and split start over; the
      // text format choices are the user's and stay.
      datasetImported: (dataset) =>
        change({ dataset, mapping: null, checkedRows: null, split: null, splitChosenBy: 'default', splitFileName: null, dropInvalidRows: false }),
      datasetCleared: () => change({ dataset: null, mapping: null, checkedRows: null, split: null, splitChosenBy: 'default', splitFileName: null, dropInvalidRows: false }),
      mappingConfirmed: (mapping, rows, defaultSplit) =>
        set((state) => ({
          mapping,
          checkedRows: rows,
          split: state.splitChosenBy === 'user' && state.split ? state.split : defaultSplit,
          // Agreeing to drop N rows is not agreeing to drop another number of rows.
          dropInvalidRows: rows.invalid > 0 && rows.invalid === state.checkedRows?.invalid ? state.dropInvalidRows : false,
          draftExport: null
        })),
      mappingUnconfirmed: () => change({ mapping: null, checkedRows: null }),
      promptStartTextChanged: (promptStartText) => change({ promptStartText }),
      trainOnResponseOnlyChanged: (trainOnResponseOnly) => change({ trainOnResponseOnly }),
      chatTemplateChosen: (chatTemplate) => change({ chatTemplate }),
      splitChosen: (split, fileName = null) => change({ split, splitChosenBy: 'user', splitFileName: split.kind === 'file' ? fileName : null }),
      splitEntryInvalid: () => change({ split: null, splitChosenBy: 'user', splitFileName: null }),
      dropInvalidRowsChanged: (dropInvalidRows) => change({ dropInvalidRows }),
      draftExported: (draftExport) => set({ draftExport })
    }
  }
})

/** The text format options the shared formatter takes, for a mode. Generic mode has none. */
export function trainingFormatOf(state: Pick<DraftData, 'promptStartText' | 'trainOnResponseOnly' | 'chatTemplate'>, mode: DatasetMode): TrainingFormatOptions {
  if (mode === 'generic') return {}
  const options: TrainingFormatOptions = { trainOnResponseOnly: state.trainOnResponseOnly }
  if (state.promptStartText.trim() !== '') options.promptStartText = state.promptStartText
  if (state.chatTemplate) options.chatTemplate = state.chatTemplate.spec
  return options
}

/**
 * Why the Data step is not done yet, in words for the user, or null when it is. A chat template
 * only counts for the model it was read from.
 */
export function dataStepBlocker(state: DraftData, model: ChosenModel | null): string | null {
  if (!state.dataset) return 'Choose a CSV file first.'
  if (!state.mapping || !state.checkedRows) return 'Confirm the mapping with "Use this mapping".'
  if (state.checkedRows.trainable === 0) return 'No row can train with this mapping: choose other columns.'
  if (state.checkedRows.invalid > 0 && !state.dropInvalidRows) {
    const count = state.checkedRows.invalid.toLocaleString('en-US')
    return `${count} row${state.checkedRows.invalid === 1 ? '' : 's'} cannot train: fix ${state.checkedRows.invalid === 1 ? 'it' : 'them'} in the file, or tick "Drop these ${count} rows when training".`
  }
  if (!state.split) return 'Choose a valid validation split (none, a percentage above 0 and at most 50, or a second CSV file).'
  if (state.mapping.mode === 'chat' && state.chatTemplate && state.chatTemplate.modelPath !== model?.path) {
    return `The chat template was read from ${state.chatTemplate.displayName}, which is no longer the chosen model: choose the text format again.`
  }
  return null
}

const draftData = (state: DatasetDraftState): DraftData => state

// Atomic selectors: each component re-renders only when what it reads changes.
export const useDraftDataset = () => useDatasetDraftStore((state) => state.dataset)
export const useConfirmedMapping = () => useDatasetDraftStore((state) => state.mapping)
export const useCheckedRows = () => useDatasetDraftStore((state) => state.checkedRows)
export const usePromptStartText = () => useDatasetDraftStore((state) => state.promptStartText)
export const useTrainOnResponseOnly = () => useDatasetDraftStore((state) => state.trainOnResponseOnly)
export const useDraftChatTemplate = () => useDatasetDraftStore((state) => state.chatTemplate)
export const useValidationSplit = () => useDatasetDraftStore((state) => state.split)
export const useSplitChosenBy = () => useDatasetDraftStore((state) => state.splitChosenBy)
export const useSplitFileName = () => useDatasetDraftStore((state) => state.splitFileName)
export const useDropInvalidRows = () => useDatasetDraftStore((state) => state.dropInvalidRows)
export const useDraftExport = () => useDatasetDraftStore((state) => state.draftExport)
export const useDatasetDraftActions = () => useDatasetDraftStore((state) => state.actions)

/** The format options for a mode (the one being previewed, or the confirmed mapping's). */
export function useTrainingFormat(mode: DatasetMode): TrainingFormatOptions {
  const promptStartText = usePromptStartText()
  const trainOnResponseOnly = useTrainOnResponseOnly()
  const chatTemplate = useDraftChatTemplate()
  return useMemo(() => trainingFormatOf({ promptStartText, trainOnResponseOnly, chatTemplate }, mode), [promptStartText, trainOnResponseOnly, chatTemplate, mode])
}

/** Null when the Data step is complete; otherwise what is still to do. */
export function useDataStepBlocker(): string | null {
  const model = useChosenModel()
  return useDatasetDraftStore((state) => dataStepBlocker(draftData(state), model))
}

/** For services: the draft as it is now, and the actions. */
export const datasetDraftNow = (): DraftData => useDatasetDraftStore.getState()
export const datasetDraftActions = (): DatasetDraftActions => useDatasetDraftStore.getState().actions

/**
 * The `datasets.export` request for the current choices, or null while the Data step is not
 * complete. Project creation adds `outDir` (its project folder); without it the core writes the
 * draft folder <home>/drafts/<datasetId>/.
 */
export function exportRequestNow(): RequestOf<'datasets.export'> | null {
  const state = useDatasetDraftStore.getState()
  if (dataStepBlocker(state, chosenModelNow()) !== null || !state.dataset || !state.mapping || !state.split) return null
  return {
    datasetId: state.dataset.datasetId,
    mapping: state.mapping,
    format: trainingFormatOf(state, state.mapping.mode),
    split: state.split,
    dropInvalidRows: state.dropInvalidRows
  }
}

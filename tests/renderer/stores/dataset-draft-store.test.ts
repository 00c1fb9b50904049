import { beforeEach, describe, expect, it } from 'vitest'
import {
  datasetDraftActions,
  datasetDraftNow,
  dataStepBlocker,
  exportRequestNow,
  trainingFormatOf
} from '../../../src/renderer/stores/dataset-draft-store'
import type { ChosenModel } from '../../../src/renderer/stores/model-choice-store'

const dataset = { datasetId: 'd-1', sourcePath: '/data/roleplay.csv', fileName: 'roleplay.csv', rowCount: 3146, columns: ['instruction', 'input', 'output'] }
const mapping = { mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' } as const
const defaultSplit = { kind: 'percent', percent: 5, maxRows: 1000, seed: 42 } as const
const model: ChosenModel = { id: 'org/chat', path: '/models/chat', displayName: 'Chat 1B', demo: false, hasChatTemplate: true }

beforeEach(() => {
  const actions = datasetDraftActions()
  actions.datasetCleared()
  actions.promptStartTextChanged('')
  actions.trainOnResponseOnlyChanged(true)
  actions.chatTemplateChosen(null)
})

describe('the dataset draft', () => {
  it('is complete once a confirmed mapping was checked, and says what is missing before', () => {
    const actions = datasetDraftActions()
    expect(dataStepBlocker(datasetDraftNow(), null)).toBe('Choose a CSV file first.')
    actions.datasetImported(dataset)
    expect(dataStepBlocker(datasetDraftNow(), null)).toContain('Use this mapping')
    expect(exportRequestNow()).toBeNull()
    actions.mappingConfirmed(mapping, { trainable: 3146, invalid: 0 }, defaultSplit)
    expect(dataStepBlocker(datasetDraftNow(), null)).toBeNull()
    expect(exportRequestNow()).toEqual({ datasetId: 'd-1', mapping, format: { trainOnResponseOnly: true }, split: defaultSplit, dropInvalidRows: false })
  })

  it('needs the user’s explicit agreement to drop rows, for that number of rows', () => {
    const actions = datasetDraftActions()
    actions.datasetImported(dataset)
    actions.mappingConfirmed(mapping, { trainable: 3140, invalid: 6 }, defaultSplit)
    expect(dataStepBlocker(datasetDraftNow(), null)).toBe('6 rows cannot train: fix them in the file, or tick "Drop these 6 rows when training".')
    actions.dropInvalidRowsChanged(true)
    expect(dataStepBlocker(datasetDraftNow(), null)).toBeNull()
    actions.mappingUnconfirmed()
    actions.mappingConfirmed({ mode: 'chat', prompt: 'instruction', response: 'output' }, { trainable: 3100, invalid: 46 }, defaultSplit)
    expect(datasetDraftNow().dropInvalidRows).toBe(false)
  })

  it('keeps a split the user chose when the mapping is confirmed again, and blocks while the entry is invalid', () => {
    const actions = datasetDraftActions()
    actions.datasetImported(dataset)
    actions.splitChosen({ kind: 'none' })
    actions.mappingConfirmed(mapping, { trainable: 3146, invalid: 0 }, defaultSplit)
    expect(datasetDraftNow().split).toEqual({ kind: 'none' })
    actions.splitEntryInvalid()
    expect(dataStepBlocker(datasetDraftNow(), null)).toContain('validation split')
  })

  it('builds the format options the shared formatter takes, and makes an earlier export stale', () => {
    const actions = datasetDraftActions()
    actions.datasetImported(dataset)
    actions.mappingConfirmed(mapping, { trainable: 3146, invalid: 0 }, defaultSplit)
    actions.draftExported({ outDir: '/home/drafts/d-1' } as never)
    actions.promptStartTextChanged('You are a storyteller.')
    expect(datasetDraftNow().draftExport).toBeNull()
    actions.chatTemplateChosen({ modelId: model.id, modelPath: '/models/chat', displayName: model.displayName, spec: { template: '{{ messages }}' } })
    expect(trainingFormatOf(datasetDraftNow(), 'chat')).toEqual({
      trainOnResponseOnly: true,
      promptStartText: 'You are a storyteller.',
      chatTemplate: { template: '{{ messages }}' }
    })
    expect(trainingFormatOf(datasetDraftNow(), 'generic')).toEqual({})
    expect(dataStepBlocker(datasetDraftNow(), model)).toBeNull()
    expect(dataStepBlocker(datasetDraftNow(), { ...model, path: '/models/other' })).toContain('no longer the chosen model')
  })
})

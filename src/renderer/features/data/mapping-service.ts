import { missingMappedColumns } from '../../../shared/dataset/mapping'
import { invoke } from '../../api/client'
import { datasetDraftActions, datasetDraftNow, exportRequestNow, type DraftExport } from '../../stores/dataset-draft-store'
import { datasetIntakeActions, datasetIntakeNow } from '../../stores/dataset-intake-store'
import type { ChosenModel } from '../../stores/model-choice-store'
import { intakeErrorOf, IntakeFailure, readablePathFor } from './csv-intake-service'
import { mappingFromDraft, missingChoices } from './mapping-draft'
import { sendAllowingOutsidePaths } from '../../app/outside-path-confirmation'

/**
 * "Use this mapping": checks every row against the mapping in the wizard, remembers it on the
 * dataset, and makes it the draft's confirmed mapping.
 */
export async function mappingConfirmed(): Promise<void> {
  const intake = datasetIntakeActions()
  const { mappingDraft } = datasetIntakeNow()
  const dataset = datasetDraftNow().dataset
  const mapping = mappingFromDraft(mappingDraft)
  if (!dataset) return
  if (!mapping) {
    intake.checkFailed({ message: `Choose ${missingChoices(mappingDraft).join(' and ')} first.`, details: [] })
    return
  }
  intake.checkStarted()
  try {
    const { validation } = await invoke('datasets.validate', { datasetId: dataset.datasetId, mapping, saveMapping: true })
    // The user may have changed a column while the rows were checked: that mapping is not confirmed.
    const now = mappingFromDraft(datasetIntakeNow().mappingDraft)
    if (datasetDraftNow().dataset?.datasetId !== dataset.datasetId || JSON.stringify(now) !== JSON.stringify(mapping)) {
      intake.checkFailed({ message: 'The mapping changed while its rows were checked. Press "Use this mapping" again.', details: [] })
      return
    }
    intake.checkFinished(validation)
    datasetDraftActions().mappingConfirmed(mapping, { trainable: validation.trainableCount, invalid: validation.invalid.count }, validation.defaultSplit)
  } catch (error) {
    intake.checkFailed(intakeErrorOf(error))
  }
}

/** The chosen model's own chat template becomes the text format (or null: the LocalTune format). */
export async function chatTemplateFormatChosen(model: ChosenModel | null): Promise<void> {
  if (!model) {
    datasetDraftActions().chatTemplateChosen(null)
    return
  }
  if (!model.path) throw new IntakeFailure(`${model.displayName} has no folder LocalTune can read a chat template from. Use the LocalTune format.`)
  const modelPath = model.path
  const { spec } = await sendAllowingOutsidePaths((confirmedPaths) => invoke('datasets.chat-template', { modelPath, confirmedPaths }))
  datasetDraftActions().chatTemplateChosen({ modelId: model.id, modelPath: model.path, displayName: model.displayName, spec })
}

/**
 * A second CSV as the validation set. Its columns are checked against the confirmed mapping
 * now, so a mismatch is reported here and not when training files are written.
 */
export async function validationFileChosen(file: File): Promise<void> {
  const sourcePath = await readablePathFor(file)
  const preview = await sendAllowingOutsidePaths((confirmedPaths) => invoke('datasets.peek', { path: sourcePath, count: 1, confirmedPaths }))
  if (!preview.layout) {
    const problem = preview.problems.find((entry) => entry.severity === 'error')
    throw new IntakeFailure(`${file.name} cannot be the validation set: ${problem?.message ?? 'it is not a CSV file LocalTune can read.'}`)
  }
  const mapping = datasetDraftNow().mapping
  if (mapping) {
    const missing = missingMappedColumns(mapping, preview.layout.columns)
    if (missing.length > 0) {
      throw new IntakeFailure(
        `${file.name} cannot be the validation set: it has no column ${missing.map((entry) => `"${entry.column}" (${entry.role})`).join(', ')}. It needs the same columns as the training file.`,
        [`columns of ${file.name}: ${preview.layout.columns.map((name) => `"${name}"`).join(', ')}`]
      )
    }
  }
  datasetDraftActions().splitChosen({ kind: 'file', path: sourcePath }, file.name)
}

/**
 * Writes train.jsonl / valid.jsonl for the current choices into the draft folder
 * (<home>/drafts/<datasetId>/), where Parameters & estimate reads token statistics from. Reuses
 * the last export while no choice changed.
 */
export async function draftExportRequested(): Promise<DraftExport> {
  const existing = datasetDraftNow().draftExport
  if (existing) return existing
  const request = exportRequestNow()
  if (!request) throw new IntakeFailure('The Data step is not complete yet: choose a file and confirm its mapping on the Data screen.')
  const result = await sendAllowingOutsidePaths((confirmedPaths) => invoke('datasets.export', { ...request, confirmedPaths }))
  // Only keep it if nothing changed while it was written.
  if (JSON.stringify(exportRequestNow()) === JSON.stringify(request)) datasetDraftActions().draftExported(result)
  return result
}

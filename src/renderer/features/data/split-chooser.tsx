import { useEffect, useState } from 'react'
import { defaultValidationMaxRows, defaultValidationSeed, defaultValidationSplitRule, validationRowCount, validationSplitSchema } from '../../../shared/dataset/validation-split'
import { useDatasetDraftActions, useSplitChosenBy, useSplitFileName, useValidationSplit } from '../../stores/dataset-draft-store'
import type { IntakeError } from '../../stores/dataset-intake-store'
import { intakeErrorOf } from './csv-intake-service'
import { formatCount, plural } from './csv-labels'
import { FilePickerButton } from './file-picker-button'
import { validationFileChosen } from './mapping-service'

type SplitKind = 'none' | 'percent' | 'file'

/**
 * How rows are held out to measure the model on data it does not train on: none, a percentage
 * (a seeded shuffle), or a second CSV. Starts from LocalTune's default for the row count.
 */
export function SplitChooser({ trainableRows }: { trainableRows: number }) {
  const split = useValidationSplit()
  const chosenBy = useSplitChosenBy()
  const fileName = useSplitFileName()
  const { splitChosen, splitEntryInvalid } = useDatasetDraftActions()
  const [kind, setKind] = useState<SplitKind>(split?.kind ?? 'none')
  const [percent, setPercent] = useState(split?.kind === 'percent' ? String(split.percent) : '5')
  const [fileError, setFileError] = useState<IntakeError | null>(null)
  const [choosingFile, setChoosingFile] = useState(false)

  // The default arrives with the row check; follow it until the user chooses.
  useEffect(() => {
    if (!split) return
    setKind(split.kind)
    if (split.kind === 'percent') setPercent(String(split.percent))
  }, [split])

  const percentSplit = (text: string) => {
    const parsed = validationSplitSchema.safeParse({ kind: 'percent', percent: Number(text), maxRows: defaultValidationMaxRows, seed: defaultValidationSeed })
    return text.trim() !== '' && parsed.success ? parsed.data : null
  }
  const kindChosen = (next: SplitKind) => {
    setKind(next)
    setFileError(null)
    if (next === 'none') splitChosen({ kind: 'none' })
    if (next === 'percent') {
      const chosen = percentSplit(percent)
      if (chosen) splitChosen(chosen)
      else splitEntryInvalid()
    }
    // A file split is chosen when the file is.
    if (next === 'file' && split?.kind !== 'file') splitEntryInvalid()
  }
  const percentTyped = (text: string) => {
    setPercent(text)
    const chosen = percentSplit(text)
    if (chosen) splitChosen(chosen)
    else splitEntryInvalid()
  }
  const heldOut = split?.kind === 'percent' ? validationRowCount(split, trainableRows) : 0

  return (
    <fieldset className="data-fieldset data-split">
      <legend>Validation split</legend>
      <label className="checkbox">
        <input type="radio" name="data-split" checked={kind === 'none'} onChange={() => kindChosen('none')} />
        None: every row trains
      </label>
      <label className="checkbox">
        <input type="radio" name="data-split" checked={kind === 'percent'} onChange={() => kindChosen('percent')} />
        Hold out a percentage of the rows
      </label>
      {kind === 'percent' && (
        <div className="data-split-detail">
          <label>
            Percentage held out
            <input
              type="number"
              min={0.1}
              max={50}
              step={0.5}
              value={percent}
              aria-invalid={percentSplit(percent) === null}
              onChange={(event) => percentTyped(event.currentTarget.value)}
            />
          </label>
          {percentSplit(percent) === null ? (
            <span className="data-error small">Enter a percentage above 0 and at most 50.</span>
          ) : (
            <span className="muted small">
              {plural(heldOut, 'row')} for validation (at most {formatCount(defaultValidationMaxRows)}, picked by a shuffle with seed {defaultValidationSeed}),{' '}
              {plural(trainableRows - heldOut, 'row')} for training.
            </span>
          )}
        </div>
      )}
      <label className="checkbox">
        <input type="radio" name="data-split" checked={kind === 'file'} onChange={() => kindChosen('file')} />A second CSV file with the same columns
      </label>
      {kind === 'file' && (
        <div className="data-split-detail">
          <FilePickerButton
            className="secondary"
            inputLabel="Validation CSV file"
            disabled={choosingFile}
            onFile={(file) => {
              setChoosingFile(true)
              setFileError(null)
              validationFileChosen(file)
                .catch((error: unknown) => setFileError(intakeErrorOf(error)))
                .finally(() => setChoosingFile(false))
            }}
          >
            {split?.kind === 'file' ? 'Choose another validation file' : 'Choose the validation CSV'}
          </FilePickerButton>
          {choosingFile && <span className="muted small">Reading the file…</span>}
          {split?.kind === 'file' && !choosingFile && <span className="small">Validation rows from {fileName ?? split.path}</span>}
          {fileError && (
            <div role="alert" className="data-error small">
              <p>{fileError.message}</p>
              {fileError.details.map((detail) => (
                <p key={detail}>{detail}</p>
              ))}
            </div>
          )}
        </div>
      )}
      <p className="muted small">
        {chosenBy === 'default' ? 'LocalTune’s default: ' : 'The default would be: '}
        {defaultValidationSplitRule}
      </p>
    </fieldset>
  )
}

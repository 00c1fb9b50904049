import { describeRowPosition } from '../../../shared/dataset/types'
import type { InvalidRowReason } from '../../../shared/dataset/row-validation'
import { useCheckedRows, useConfirmedMapping, useDatasetDraftActions, useDropInvalidRows } from '../../stores/dataset-draft-store'
import { useDatasetIntakeActions, useRowValidation } from '../../stores/dataset-intake-store'
import { formatCount, plural } from './csv-labels'
import { SplitChooser } from './split-chooser'

const reasonLabels: Record<InvalidRowReason, string> = {
  'parse-error': 'could not be read as CSV',
  'empty-prompt': 'empty prompt',
  'empty-response': 'empty response',
  'empty-text': 'empty text'
}

const listedRows = 20

/**
 * What checking every row against the confirmed mapping found, and the user's explicit choice
 * about rows that cannot train: nothing is dropped without it.
 */
export function RowCheckPanel() {
  const mapping = useConfirmedMapping()
  const checked = useCheckedRows()
  const validation = useRowValidation()
  const dropInvalidRows = useDropInvalidRows()
  const { dropInvalidRowsChanged } = useDatasetDraftActions()
  const { previewRowChosen } = useDatasetIntakeActions()
  if (!mapping || !checked || !validation) return null
  const invalid = validation.invalid
  const reasons = Object.entries(invalid.byReason)
    .map(([reason, count]) => `${formatCount(count)} ${reasonLabels[reason as InvalidRowReason]}`)
    .join(', ')

  return (
    <section className="panel" aria-labelledby="data-check-title">
      <header className="panel-header">
        <h3 id="data-check-title">Rows that can train</h3>
      </header>
      {invalid.count === 0 ? (
        <p className="ok-text" data-testid="data-check-summary">
          All {plural(validation.trainableCount, 'row')} can train with this mapping.
        </p>
      ) : (
        <>
          <p className="data-warning" data-testid="data-check-summary">
            {plural(invalid.count, 'row')} of {formatCount(validation.rowCount)} cannot train ({reasons}); {plural(validation.trainableCount, 'row')} can.
          </p>
          <ul className="data-invalid-rows" aria-label="Rows that cannot train">
            {invalid.rows.slice(0, listedRows).map((row) => (
              <li key={`${row.file}-${row.row}`}>
                <button type="button" className="link-button" onClick={() => previewRowChosen(row.row)}>
                  {describeRowPosition(row.row, row.line)}
                </button>
                : {row.message}
              </li>
            ))}
          </ul>
          {invalid.count > listedRows && (
            <p className="muted small">
              … and {plural(invalid.count - listedRows, 'more row')}. Every dropped row is listed in dropped-rows.jsonl next to the training files.
            </p>
          )}
          <label className="checkbox data-drop">
            <input type="checkbox" checked={dropInvalidRows} onChange={(event) => dropInvalidRowsChanged(event.currentTarget.checked)} />
            Drop these {formatCount(invalid.count)} rows when training
          </label>
          {!dropInvalidRows && (
            <p className="muted small">Until you fix them in the file or agree to drop them, you cannot continue: LocalTune never leaves rows out on its own.</p>
          )}
        </>
      )}
      {validation.trainableCount > 0 && <SplitChooser trainableRows={validation.trainableCount} />}
    </section>
  )
}

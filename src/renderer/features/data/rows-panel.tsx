import { useCallback } from 'react'
import type { ColumnSummary } from '../../../shared/dataset/types'
import { useDraftDataset } from '../../stores/dataset-draft-store'
import { useCsvInspection, useCsvPreview, useDatasetIntakeActions, useIntakePhase, usePreviewRow } from '../../stores/dataset-intake-store'
import { formatCount } from './csv-labels'
import { RowsTable } from './rows-table'
import { useVisibleRows } from './use-row-pages'

function ColumnStats({ columns, rowCount }: { columns: ColumnSummary[]; rowCount: number }) {
  return (
    <table className="data-columns" aria-label="Columns">
      <thead>
        <tr>
          <th scope="col">Column</th>
          <th scope="col">Non-empty</th>
          <th scope="col">Mean length</th>
          <th scope="col">Max length</th>
        </tr>
      </thead>
      <tbody>
        {columns.map((column) => (
          <tr key={column.name}>
            <th scope="row">{column.name}</th>
            <td>
              {formatCount(column.nonEmptyCount)} of {formatCount(rowCount)}
            </td>
            <td>{column.meanLength.toLocaleString('en-US', { maximumFractionDigits: 1 })} chars</td>
            <td>{formatCount(column.maxLength)} chars</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Every row of the file in a virtualized table, and what each column holds. */
export function RowsPanel() {
  const phase = useIntakePhase()
  const inspection = useCsvInspection()
  const preview = useCsvPreview()
  const dataset = useDraftDataset()
  const previewRow = usePreviewRow()
  const { previewRowChosen } = useDatasetIntakeActions()
  const { pages, rowCount, rowAt } = useVisibleRows()
  const onVisibleRows = useCallback((first: number, last: number) => pages?.show(first, last), [pages])
  const layout = inspection?.layout ?? preview?.layout
  if (!layout || rowCount === 0 || phase === 'unusable') return null
  const failure = pages?.anyFailure() ?? null
  const fileName = dataset?.fileName ?? inspection?.fileName ?? 'the file'

  return (
    <section className="panel" aria-labelledby="data-rows-title">
      <header className="panel-header">
        <h3 id="data-rows-title">Rows</h3>
        <span className="muted small">
          {dataset
            ? `${formatCount(rowCount)} rows · numbered from 1 at the first data row · click a row to preview it`
            : `The first ${formatCount(rowCount)} rows; the rest appear once the whole file is read`}
        </span>
      </header>
      {failure && (
        <div role="alert" className="data-error">
          <p>Some rows could not be read: {failure}</p>
          <button type="button" className="secondary" onClick={() => pages?.retry()}>
            Try again
          </button>
        </div>
      )}
      <RowsTable
        label={`Rows of ${fileName}`}
        columns={layout.columns}
        rowCount={rowCount}
        rowAt={rowAt}
        onVisibleRows={onVisibleRows}
        onRowChosen={previewRowChosen}
        chosenRow={previewRow}
      />
      {inspection && inspection.columns.length > 0 && <ColumnStats columns={inspection.columns} rowCount={inspection.rowCount} />}
    </section>
  )
}

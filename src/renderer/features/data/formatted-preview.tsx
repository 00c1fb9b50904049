import { useEffect, useMemo, useState } from 'react'
import { previewExamples, type ExamplePreview } from '../../../shared/dataset/example-preview'
import { useTrainingFormat } from '../../stores/dataset-draft-store'
import { useCsvInspection, useCsvPreview, useDatasetIntakeActions, useMappingDraft, usePreviewRow } from '../../stores/dataset-intake-store'
import { formatCount } from './csv-labels'
import { mappingFromDraft, missingChoices } from './mapping-draft'
import { useVisibleRows } from './use-row-pages'

const quickRows = [1, 2, 3, 4, 5]

function RowPicker({ rowCount, row, onRow }: { rowCount: number; row: number; onRow(row: number): void }) {
  const [typed, setTyped] = useState(String(row))
  useEffect(() => setTyped(String(row)), [row])
  const typedRow = Number(typed)
  const valid = Number.isInteger(typedRow) && typedRow >= 1 && typedRow <= rowCount
  return (
    <div className="data-row-picker">
      <div role="group" aria-label="First rows">
        {quickRows
          .filter((quick) => quick <= rowCount)
          .map((quick) => (
            <button key={quick} type="button" className="secondary" aria-pressed={row === quick} onClick={() => onRow(quick)}>
              Row {quick}
            </button>
          ))}
      </div>
      <form
        className="data-row-form"
        onSubmit={(event) => {
          event.preventDefault()
          if (valid) onRow(typedRow)
        }}
      >
        <label>
          Row number
          <input type="number" min={1} max={rowCount} value={typed} onChange={(event) => setTyped(event.currentTarget.value)} aria-invalid={!valid} />
        </label>
        <button type="submit" className="secondary" disabled={!valid}>
          Show row
        </button>
        <button type="button" className="secondary" disabled={row <= 1} onClick={() => onRow(row - 1)} aria-label="Previous row">
          ←
        </button>
        <button type="button" className="secondary" disabled={row >= rowCount} onClick={() => onRow(row + 1)} aria-label="Next row">
          →
        </button>
        {!valid && <span className="data-error small">Enter a row from 1 to {formatCount(rowCount)}.</span>}
      </form>
    </div>
  )
}

function Example({ preview }: { preview: ExamplePreview }) {
  if (preview.status === 'invalid') {
    return (
      <p className="data-warning" data-testid="formatted-invalid">
        Row {formatCount(preview.row)} (line {formatCount(preview.line)}) cannot train: {preview.message}.
      </p>
    )
  }
  if (preview.status === 'error') {
    return (
      <p className="data-error" role="alert">
        Row {formatCount(preview.row)} cannot be formatted: {preview.message}
      </p>
    )
  }
  return (
    <>
      <pre className="data-example" data-testid="formatted-example" aria-label={`Training text of row ${preview.row}`}>
        {preview.segments.map((segment) =>
          segment.carriesLoss ? (
            <mark key={segment.part} className="data-loss" data-part={segment.part}>
              {segment.text}
            </mark>
          ) : (
            <span key={segment.part} className="data-no-loss" data-part={segment.part}>
              {segment.text}
            </span>
          )
        )}
      </pre>
      <p className="data-legend small">
        <span className="data-legend-swatch data-loss" aria-hidden="true" /> carries loss (the model learns to write this)
        {preview.segments.some((segment) => !segment.carriesLoss) && (
          <>
            <span className="data-legend-swatch data-no-loss" aria-hidden="true" /> read, not learned (no loss)
          </>
        )}
      </p>
    </>
  )
}

/**
 * A real row of the file as it will train, produced by the same shared formatter that writes
 * train.jsonl, for the mapping and format the wizard shows right now.
 */
export function FormattedPreview() {
  const inspection = useCsvInspection()
  const csvPreview = useCsvPreview()
  const draft = useMappingDraft()
  const row = usePreviewRow()
  const { previewRowChosen } = useDatasetIntakeActions()
  const format = useTrainingFormat(draft.mode)
  const { pages, rowCount, rowAt } = useVisibleRows()
  const [loadError, setLoadError] = useState<string | null>(null)
  const data = rowAt(row)
  const columns = inspection?.layout?.columns ?? csvPreview?.layout?.columns ?? null
  const mapping = useMemo(() => mappingFromDraft(draft), [draft])

  useEffect(() => {
    setLoadError(null)
    if (data || !pages || row > rowCount) return
    pages.load(row).catch((error: unknown) => setLoadError((error as Error).message))
  }, [data, pages, row, rowCount])

  const example = useMemo(() => {
    if (!data || !mapping || !columns) return null
    try {
      return previewExamples([data], columns, mapping, format)[0] ?? null
    } catch (error) {
      return { row: data.row, line: data.line, status: 'error', message: (error as Error).message } satisfies ExamplePreview
    }
  }, [data, mapping, columns, format])

  if (!columns || rowCount === 0) return null
  return (
    <section className="panel" aria-labelledby="data-formatted-title">
      <header className="panel-header">
        <h3 id="data-formatted-title">What trains: row {formatCount(row)}</h3>
        {data && <span className="muted small">line {formatCount(data.line)} of the file</span>}
      </header>
      <RowPicker rowCount={rowCount} row={Math.min(row, rowCount)} onRow={previewRowChosen} />
      {!mapping && <p className="muted">Choose {missingChoices(draft).join(' and ')} to see how rows become training text.</p>}
      {mapping && !data && !loadError && <p className="muted">Loading row {formatCount(row)}…</p>}
      {loadError && (
        <p role="alert" className="data-error">
          Row {formatCount(row)} could not be read: {loadError}
        </p>
      )}
      {example && <Example preview={example} />}
    </section>
  )
}

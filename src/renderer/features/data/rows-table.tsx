import { useEffect, useState, type CSSProperties } from 'react'
import type { DatasetRow } from '../../../shared/dataset/types'
import { formatCount } from './csv-labels'

const rowHeight = 30
const viewportHeight = 372
const headerHeight = 32
const overscan = 10
// Browsers stop growing an element somewhere above 10 million pixels; past this the scroll
// position is scaled so a file of millions of rows still reaches its last row.
const maxSpacerHeight = 8_000_000
const shownChars = 240

/** One line of a cell: line breaks shown as ↵, long text cut (the formatted preview shows it whole). */
function cellText(cell: string): string {
  const head = cell.length > shownChars ? `${cell.slice(0, shownChars)}…` : cell
  return head.replace(/\r\n|\r|\n/g, ' ↵ ')
}

export interface RowsTableProps {
  label: string
  columns: string[]
  rowCount: number
  /** The row if it is loaded; undefined while it loads. */
  rowAt(row: number): DatasetRow | undefined
  /** Called with the rows on screen (1-based, inclusive) whenever they change. */
  onVisibleRows(first: number, last: number): void
  onRowChosen(row: number): void
  chosenRow: number
}

/**
 * A table over every row of the file that renders only the rows in view: a fixed row height
 * turns the scroll position into row numbers, and a spacer as tall as all rows keeps the
 * scrollbar true to the file's length.
 */
export function RowsTable({ label, columns, rowCount, rowAt, onVisibleRows, onRowChosen, chosenRow }: RowsTableProps) {
  const [scrollTop, setScrollTop] = useState(0)
  const bodyHeight = viewportHeight - headerHeight
  const totalHeight = rowCount * rowHeight
  const spacerHeight = Math.min(totalHeight, maxSpacerHeight)
  const scale = totalHeight > spacerHeight ? (totalHeight - bodyHeight) / (spacerHeight - bodyHeight) : 1
  const virtualTop = scrollTop * scale
  const first = Math.max(1, Math.floor(virtualTop / rowHeight) + 1 - overscan)
  const last = Math.min(rowCount, Math.ceil((virtualTop + bodyHeight) / rowHeight) + overscan)

  useEffect(() => {
    if (rowCount > 0) onVisibleRows(first, last)
  }, [first, last, rowCount, onVisibleRows])

  // Wide enough for the largest row number ("1,234,567"), so none is cut.
  const numberWidth = Math.max(64, formatCount(rowCount).length * 9 + 28)
  const layout = {
    '--data-columns': `${numberWidth}px repeat(${columns.length}, minmax(200px, 1fr))`,
    minWidth: `${numberWidth + columns.length * 200}px`
  } as CSSProperties
  const rows = []
  for (let row = first; row <= last; row++) {
    const data = rowAt(row)
    const top = (row - 1) * rowHeight - virtualTop + scrollTop
    rows.push(
      <div
        key={row}
        role="row"
        aria-rowindex={row + 1}
        data-row={row}
        className={`data-table-row${row === chosenRow ? ' data-table-row-chosen' : ''}${data?.parseIssue ? ' data-table-row-issue' : ''}`}
        style={{ top, height: rowHeight }}
        onClick={() => onRowChosen(row)}
        title={data ? `Row ${formatCount(row)} (line ${formatCount(data.line)} of the file)${data.parseIssue ? `: ${data.parseIssue.message}` : ''}. Click to preview it.` : undefined}
      >
        <span role="rowheader" className="data-row-number">
          {formatCount(row)}
        </span>
        {columns.map((column, index) => (
          <span role="cell" key={column} className={data ? undefined : 'data-cell-loading'}>
            {data ? cellText(data.cells[index] ?? '') : '…'}
          </span>
        ))}
      </div>
    )
  }

  return (
    <div
      className="data-table"
      role="table"
      aria-label={label}
      aria-rowcount={rowCount + 1}
      tabIndex={0}
      style={{ height: viewportHeight }}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
    >
      <div role="row" aria-rowindex={1} className="data-table-header" style={{ ...layout, height: headerHeight }}>
        <span role="columnheader">Row</span>
        {columns.map((column) => (
          <span role="columnheader" key={column}>
            {column}
          </span>
        ))}
      </div>
      <div className="data-table-body" style={{ ...layout, height: spacerHeight }}>
        {rows}
      </div>
    </div>
  )
}

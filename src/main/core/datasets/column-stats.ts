import type { ColumnSummary } from '../../../shared/dataset/types'

/** True when the cell has anything but whitespace; avoids trimming the common non-blank cell. */
export function hasContent(cell: string): boolean {
  if (cell.length === 0) return false
  const first = cell.charCodeAt(0)
  if (first > 32 && first < 127) return true
  return cell.trim() !== ''
}

/** Per-column counts and lengths, accumulated row by row without keeping the rows. */
export class ColumnStatsCollector {
  private readonly nonEmpty: number[]
  private readonly totalLength: number[]
  private readonly maxLength: number[]

  constructor(columnCount: number) {
    this.nonEmpty = new Array<number>(columnCount).fill(0)
    this.totalLength = new Array<number>(columnCount).fill(0)
    this.maxLength = new Array<number>(columnCount).fill(0)
  }

  add(cells: readonly string[]): void {
    for (let i = 0; i < this.nonEmpty.length; i++) {
      const cell = cells[i]
      if (cell === undefined || !hasContent(cell)) continue
      this.nonEmpty[i] = (this.nonEmpty[i] as number) + 1
      this.totalLength[i] = (this.totalLength[i] as number) + cell.length
      if (cell.length > (this.maxLength[i] as number)) this.maxLength[i] = cell.length
    }
  }

  summaries(columns: readonly string[]): ColumnSummary[] {
    return columns.map((name, index) => {
      const nonEmptyCount = this.nonEmpty[index] ?? 0
      return {
        index,
        name,
        nonEmptyCount,
        meanLength: nonEmptyCount === 0 ? 0 : Math.round(((this.totalLength[index] ?? 0) / nonEmptyCount) * 10) / 10,
        maxLength: this.maxLength[index] ?? 0
      }
    })
  }
}

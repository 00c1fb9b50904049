import { useCallback, useSyncExternalStore } from 'react'
import type { DatasetRow } from '../../../shared/dataset/types'
import { useDraftDataset } from '../../stores/dataset-draft-store'
import { useCsvPreview } from '../../stores/dataset-intake-store'
import type { RowPages } from './row-pages'
import { rowPagesFor } from './row-pages-service'

const noPages = { subscribe: () => () => undefined, getVersion: () => 0 }

export interface VisibleRows {
  /** The imported dataset's pages; null while only the first rows (the peek) are known. */
  pages: RowPages | null
  rowCount: number
  rowAt(row: number): DatasetRow | undefined
}

/**
 * Rows for the table and the preview: every row of the imported dataset through its page cache,
 * and until the import finished, the first rows read at once.
 */
export function useVisibleRows(): VisibleRows {
  const dataset = useDraftDataset()
  const preview = useCsvPreview()
  const pages = dataset ? rowPagesFor(dataset.datasetId, dataset.rowCount) : null
  const source = pages ?? noPages
  const version = useSyncExternalStore(source.subscribe, source.getVersion)
  const previewRows = preview?.rows
  const rowAt = useCallback(
    (row: number): DatasetRow | undefined => {
      void version
      const fromPages = pages?.row(row)
      if (fromPages) return fromPages
      // The peek read the same file with the same header choice: its rows stand in until the page arrives.
      const early = previewRows?.[row - 1]
      return early?.row === row ? early : undefined
    },
    [pages, previewRows, version]
  )
  return { pages, rowCount: dataset ? dataset.rowCount : (previewRows?.length ?? 0), rowAt }
}

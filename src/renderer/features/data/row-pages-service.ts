import { invoke } from '../../api/client'
import { RowPages } from './row-pages'

let current: { datasetId: string; pages: RowPages } | null = null

/**
 * The row pages of the dataset on screen. One at a time: a new import starts a new cache, so
 * rows of an earlier file (or an earlier header choice) can never show up in this one.
 */
export function rowPagesFor(datasetId: string, rowCount: number): RowPages {
  if (current?.datasetId !== datasetId) {
    current = { datasetId, pages: new RowPages(rowCount, async (start, count) => (await invoke('datasets.rows', { datasetId, start, count })).rows) }
  }
  return current.pages
}

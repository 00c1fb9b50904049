import type { DatasetRow } from '../../../shared/dataset/types'

export type FetchRows = (start: number, count: number) => Promise<DatasetRow[]>

/**
 * The rows of one imported dataset, fetched a page at a time and kept by page, for a table that
 * shows a few dozen of possibly millions of rows. Only pages in the range the table last asked
 * for are loaded, at most `concurrency` at a time, so fast scrolling does not queue a request
 * for every page it passes; the least recently used pages are forgotten past `maxPages`.
 */
export class RowPages {
  private readonly pages = new Map<number, DatasetRow[]>()
  private readonly loading = new Set<number>()
  private readonly failures = new Map<number, string>()
  private readonly listeners = new Set<() => void>()
  private readonly waiters = new Map<number, { resolve(): void }[]>()
  private wanted: { first: number; last: number } = { first: 0, last: -1 }
  private version = 0

  constructor(
    readonly rowCount: number,
    private readonly fetchRows: FetchRows,
    readonly pageSize = 100,
    private readonly maxPages = 50,
    private readonly concurrency = 2
  ) {}

  private pageOf(row: number): number {
    return Math.floor((row - 1) / this.pageSize)
  }

  /** The row if its page is loaded (1-based data row number). */
  row(row: number): DatasetRow | undefined {
    const page = this.pages.get(this.pageOf(row))
    return page?.[(row - 1) % this.pageSize]
  }

  /** Why the page holding this row could not be read, if it could not. */
  failure(row: number): string | undefined {
    return this.failures.get(this.pageOf(row))
  }

  /** Why some page could not be read, if one could not (the first such reason). */
  anyFailure(): string | undefined {
    return this.failures.values().next().value
  }

  /** The rows the table shows now: their pages load, and stay ahead of others in memory. */
  show(firstRow: number, lastRow: number): void {
    const first = this.pageOf(Math.max(1, firstRow))
    const last = this.pageOf(Math.min(this.rowCount, Math.max(firstRow, lastRow)))
    this.wanted = { first, last }
    for (let page = first; page <= last; page++) this.touch(page)
    this.pump()
  }

  /** One row, loading its page whatever the table shows (the formatted preview's row picker). */
  async load(row: number): Promise<DatasetRow> {
    const page = this.pageOf(row)
    if (!this.pages.has(page)) {
      await new Promise<void>((resolve) => {
        this.waiters.set(page, [...(this.waiters.get(page) ?? []), { resolve }])
        this.start(page)
      })
    }
    const found = this.row(row)
    if (!found) throw new Error(this.failures.get(page) ?? `Row ${row} is not in this file (it has ${this.rowCount.toLocaleString('en-US')} rows).`)
    return found
  }

  /** Forget failures and try again (after the user fixed the file, say). */
  retry(): void {
    this.failures.clear()
    this.changed()
    this.pump()
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Changes whenever a page arrives or fails: what React's useSyncExternalStore compares. */
  getVersion = (): number => this.version

  private touch(page: number): void {
    const rows = this.pages.get(page)
    if (!rows) return
    this.pages.delete(page)
    this.pages.set(page, rows)
  }

  private pump(): void {
    for (let page = this.wanted.first; page <= this.wanted.last && this.loading.size < this.concurrency; page++) {
      if (!this.pages.has(page) && !this.failures.has(page)) this.start(page)
    }
  }

  private start(page: number): void {
    if (this.loading.has(page)) return
    this.loading.add(page)
    const start = page * this.pageSize + 1
    const count = Math.min(this.pageSize, this.rowCount - start + 1)
    const fetched = count > 0 ? this.fetchRows(start, count) : Promise.resolve([])
    fetched
      .then((rows) => {
        this.pages.set(page, rows)
        this.failures.delete(page)
        this.evict()
      })
      .catch((error: unknown) => {
        this.failures.set(page, error instanceof Error ? error.message : String(error))
      })
      .finally(() => {
        this.loading.delete(page)
        for (const waiter of this.waiters.get(page) ?? []) waiter.resolve()
        this.waiters.delete(page)
        this.changed()
        this.pump()
      })
  }

  private evict(): void {
    for (const page of this.pages.keys()) {
      if (this.pages.size <= this.maxPages) return
      if (page >= this.wanted.first && page <= this.wanted.last) continue
      this.pages.delete(page)
    }
  }

  private changed(): void {
    this.version++
    for (const listener of this.listeners) listener()
  }
}

import { describe, expect, it } from 'vitest'
import type { DatasetRow } from '../../../../src/shared/dataset/types'
import { RowPages } from '../../../../src/renderer/features/data/row-pages'

function fakeFile() {
  const calls: Array<{ start: number; count: number }> = []
  const pending: Array<() => void> = []
  let hold = false
  const fetchRows = (start: number, count: number): Promise<DatasetRow[]> => {
    calls.push({ start, count })
    const rows = Array.from({ length: count }, (_, i) => ({ row: start + i, line: start + i + 1, cells: [`cell ${start + i}`] }))
    if (!hold) return Promise.resolve(rows)
    return new Promise((resolve) => pending.push(() => resolve(rows)))
  }
  return {
    calls,
    fetchRows,
    holdAnswers: () => {
      hold = true
    },
    answerAll: () => pending.splice(0).forEach((answer) => answer())
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('RowPages', () => {
  it('loads the pages of the rows on screen, once each, and names rows by their data row number', async () => {
    const file = fakeFile()
    const pages = new RowPages(3146, file.fetchRows, 100)
    let changes = 0
    pages.subscribe(() => changes++)
    pages.show(95, 130)
    await settle()
    expect(file.calls).toEqual([
      { start: 1, count: 100 },
      { start: 101, count: 100 }
    ])
    expect(pages.row(95)?.cells).toEqual(['cell 95'])
    expect(pages.row(130)?.row).toBe(130)
    expect(changes).toBe(2)
    pages.show(100, 120)
    await settle()
    expect(file.calls).toHaveLength(2)
  })

  it('asks for a short last page', async () => {
    const file = fakeFile()
    const pages = new RowPages(3146, file.fetchRows, 100)
    pages.show(3140, 3146)
    await settle()
    expect(file.calls).toEqual([{ start: 3101, count: 46 }])
    expect(pages.row(3146)?.row).toBe(3146)
    expect(pages.row(3147)).toBeUndefined()
  })

  it('skips pages that scrolled past before their turn (at most two requests at a time)', async () => {
    const file = fakeFile()
    file.holdAnswers()
    const pages = new RowPages(100_000, file.fetchRows, 100)
    pages.show(1, 450)
    pages.show(50_000, 50_030)
    expect(file.calls.map((call) => call.start)).toEqual([1, 101])
    file.answerAll()
    await settle()
    // Pages 3-5 of the first range were never fetched: the table no longer shows them.
    expect(file.calls.map((call) => call.start)).toEqual([1, 101, 49_901, 50_001])
  })

  it('forgets the least recently shown pages beyond its bound, never the ones on screen', async () => {
    const file = fakeFile()
    const pages = new RowPages(10_000, file.fetchRows, 100, 3)
    for (const first of [1, 101, 201, 301, 401]) {
      pages.show(first, first + 10)
      await settle()
    }
    expect(pages.row(1)).toBeUndefined()
    expect(pages.row(101)).toBeUndefined()
    expect(pages.row(201)?.row).toBe(201)
    expect(pages.row(401)?.row).toBe(401)
  })

  it('loads one row on demand, and reports a failure with the core message until retried', async () => {
    let fail = true
    const pages = new RowPages(500, async (start, count) => {
      if (fail) throw new Error('notes.csv changed since LocalTune read it. Import the file again.')
      return Array.from({ length: count }, (_, i) => ({ row: start + i, line: start + i + 1, cells: [] }))
    })
    await expect(pages.load(250)).rejects.toThrow('Import the file again')
    pages.show(250, 260)
    await settle()
    expect(pages.anyFailure()).toContain('changed since')
    fail = false
    pages.retry()
    await settle()
    expect(pages.anyFailure()).toBeUndefined()
    expect((await pages.load(250)).row).toBe(250)
    await expect(pages.load(501)).rejects.toThrow('it has 500 rows')
  })
})

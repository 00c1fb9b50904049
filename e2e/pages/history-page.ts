import type { Locator, Page } from '@playwright/test'

/** HISTORY: projects and their runs; open, compare, delete. */
export class HistoryPage {
  readonly runs: Locator
  readonly compare: Locator
  readonly comparePanel: Locator
  readonly deleteDialog: Locator

  constructor(readonly page: Page) {
    this.runs = page.getByTestId('history-run')
    this.compare = page.getByRole('button', { name: /^Compare/ })
    this.comparePanel = page.getByTestId('compare-panel')
    this.deleteDialog = page.getByRole('dialog', { name: 'Delete this run?' })
  }

  async open(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: 'History' }).click()
  }

  run(runId: string): Locator {
    return this.page.locator(`[data-testid="history-run"][data-run-id="${runId}"]`)
  }
}

import type { Locator, Page } from '@playwright/test'

/** The first screen: what the core found on this machine. */
export class MachinePage {
  readonly checks: Locator
  readonly checkAgain: Locator

  constructor(readonly page: Page) {
    this.checks = page.getByRole('list', { name: 'Machine checks' })
    this.checkAgain = page.getByRole('button', { name: 'Check again' })
  }

  check(id: string): Locator {
    return this.page.getByTestId(`check-${id}`)
  }
}

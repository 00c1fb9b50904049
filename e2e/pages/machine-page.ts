import type { Locator, Page } from '@playwright/test'

/** The first screen: what the core found on this machine, and the runtime set-up when it found none. */
export class MachinePage {
  readonly checks: Locator
  readonly checkAgain: Locator
  /** The welcome screen's note naming the offline route (no runtime found). */
  readonly offlineRoute: Locator
  readonly runtimeSetup: Locator
  readonly runtimePackFolder: Locator
  readonly installFromFolder: Locator
  readonly folderInstallProblem: Locator

  constructor(readonly page: Page) {
    this.checks = page.getByRole('list', { name: 'Machine checks' })
    this.checkAgain = page.getByRole('button', { name: 'Check again' })
    this.offlineRoute = page.getByTestId('offline-route')
    this.runtimeSetup = page.getByRole('region', { name: 'Set up the training runtime' })
    this.runtimePackFolder = page.getByLabel('Runtime pack folder')
    this.installFromFolder = page.getByRole('button', { name: 'Install from this folder' })
    this.folderInstallProblem = page.getByTestId('runtime-folder-problem')
  }

  check(id: string): Locator {
    return this.page.getByTestId(`check-${id}`)
  }
}

import type { Locator, Page } from '@playwright/test'

/** The welcome screen's "Try the demo" panel: the plan first, then one button. */
export class DemoPanel {
  readonly panel: Locator
  readonly plan: Locator
  readonly steps: Locator
  readonly start: Locator

  constructor(readonly page: Page) {
    this.panel = page.getByRole('region', { name: 'Try the demo' })
    this.plan = page.getByTestId('demo-plan')
    this.steps = this.panel.getByLabel('Steps')
    this.start = this.panel.getByRole('button', { name: 'Try the demo' })
  }

  async startDemo(steps: number): Promise<void> {
    await this.steps.fill(String(steps))
    await this.start.click()
  }
}

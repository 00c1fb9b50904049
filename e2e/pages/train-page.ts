import { expect, type Locator, type Page } from '@playwright/test'

/** TRAIN: the live run (status, progress, loss chart, terminal, stop and resume). */
export class TrainPage {
  readonly chart: Locator
  readonly status: Locator
  readonly terminal: Locator
  readonly stop: Locator
  readonly resume: Locator
  readonly lastCheckpoint: Locator
  readonly progress: Locator
  readonly seeResults: Locator
  readonly resetZoom: Locator
  readonly runId: Locator
  readonly lossNow: Locator
  readonly finalLoss: Locator

  constructor(readonly page: Page) {
    this.chart = page.getByRole('region', { name: 'Loss' }).getByTestId('loss-chart')
    this.status = page.getByTestId('run-status')
    this.terminal = page.getByTestId('run-terminal')
    this.stop = page.getByRole('button', { name: 'Stop', exact: true })
    this.resume = page.getByRole('button', { name: 'Resume', exact: true })
    this.lastCheckpoint = page.getByTestId('last-checkpoint')
    this.progress = page.getByTestId('run-progress')
    this.seeResults = page.getByRole('button', { name: 'See results' })
    this.resetZoom = page.getByRole('region', { name: 'Loss' }).getByRole('button', { name: 'Reset zoom' })
    this.runId = page.getByTestId('run-id')
    this.lossNow = page.getByTestId('train-loss')
    this.finalLoss = page.getByTestId('final-loss')
  }

  /** Drags across the plot from one fraction of its width to another, as a user selects a range to zoom into. */
  async zoomByDrag(from: number, to: number): Promise<void> {
    const plot = this.chart.locator('.u-over')
    await plot.scrollIntoViewIfNeeded()
    const box = await plot.boundingBox()
    if (!box) throw new Error('the chart has no plot area')
    const y = box.y + box.height / 2
    await this.page.mouse.move(box.x + box.width * from, y)
    await this.page.mouse.down()
    await this.page.mouse.move(box.x + box.width * ((from + to) / 2), y)
    await this.page.mouse.move(box.x + box.width * to, y)
    await this.page.mouse.up()
  }

  /** Points of the train loss curve that are on the canvas now. */
  async points(): Promise<number> {
    return Number((await this.chart.getAttribute('data-points')) ?? '0')
  }

  async lastStep(): Promise<number> {
    return Number((await this.chart.getAttribute('data-last-step')) || '0')
  }

  async waitForPoints(atLeast: number, timeout = 90_000): Promise<number> {
    await expect.poll(() => this.points(), { timeout, message: `the loss curve should reach ${atLeast} points` }).toBeGreaterThanOrEqual(atLeast)
    return this.points()
  }

  /**
   * Waits for the status, then for two animation frames: the events before a status push arrive
   * before it, and the chart draws them on its next frame, so points() and lastStep() read
   * right after this are up to date.
   */
  async waitForStatus(status: string | RegExp, timeout = 90_000): Promise<void> {
    await expect(this.status).toHaveAttribute('data-status', status, { timeout })
    await this.page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))))
  }
}

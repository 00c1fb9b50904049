import type { Locator, Page } from '@playwright/test'

/** Parameters & estimate: Auto/Manual, the estimate panel, token statistics and Create Project. */
export class ParametersPage {
  readonly navButton: Locator
  readonly auto: Locator
  readonly manual: Locator
  readonly autoChoices: Locator
  readonly estimatePanel: Locator
  readonly waiting: Locator
  readonly verdict: Locator
  readonly peak: Locator
  readonly time: Locator
  readonly tokenStats: Locator
  readonly truncated: Locator
  readonly histogram: Locator
  readonly projectName: Locator
  readonly createProject: Locator
  readonly createAndTrain: Locator
  readonly createStatus: Locator
  readonly created: Locator
  readonly riskAccept: Locator
  readonly cpuNote: Locator
  readonly cannotTrain: Locator
  readonly merge: Locator
  readonly verify: Locator
  readonly verifyCancel: Locator
  readonly verifyProgress: Locator
  readonly verifyPanel: Locator
  readonly verifyResult: Locator
  readonly verifyComparison: Locator
  readonly measuredPeak: Locator
  readonly verifyStepTime: Locator
  readonly verifyTime: Locator

  constructor(readonly page: Page) {
    this.navButton = page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Parameters & estimate$/ })
    this.auto = page.getByRole('radio', { name: /^Auto/ })
    this.manual = page.getByRole('radio', { name: /^Manual/ })
    this.autoChoices = page.getByRole('list', { name: "Auto's choices" })
    this.estimatePanel = page.getByTestId('estimate-panel')
    this.waiting = page.getByTestId('estimate-waiting')
    this.verdict = page.getByTestId('estimate-verdict')
    this.peak = page.getByTestId('estimate-peak')
    this.time = page.getByTestId('estimate-time')
    this.tokenStats = page.getByTestId('token-stats')
    this.truncated = page.getByTestId('truncated')
    this.histogram = page.locator('svg.token-histogram')
    this.projectName = page.getByLabel('Project name')
    this.createProject = page.getByRole('button', { name: 'Create project', exact: true })
    this.createAndTrain = page.getByRole('button', { name: 'Create project and train' })
    this.createStatus = page.getByTestId('create-project-status')
    this.created = page.getByTestId('project-created')
    this.riskAccept = page.getByLabel('I accept the risk that it may run out of memory')
    this.cpuNote = page.getByTestId('estimate-cpu-note')
    this.cannotTrain = page.getByTestId('estimate-cannot-train')
    this.merge = page.getByLabel(/^Also save a merged model/)
    this.verifyPanel = page.getByTestId('verify-panel')
    this.verify = this.verifyPanel.getByRole('button', { name: /^Verify (on this machine|again)$/ })
    this.verifyCancel = this.verifyPanel.getByRole('button', { name: 'Cancel' })
    this.verifyProgress = page.getByTestId('verify-progress')
    this.verifyResult = page.getByTestId('verify-result')
    this.verifyComparison = page.getByTestId('verify-comparison')
    this.measuredPeak = page.getByTestId('verify-measured-peak')
    this.verifyStepTime = page.getByTestId('verify-step-time')
    this.verifyTime = page.getByTestId('verify-time')
  }

  autoChoice(field: string): Locator {
    return this.page.getByTestId(`auto-${field}`)
  }

  /** A Manual field by its label. */
  field(label: string): Locator {
    return this.page.getByLabel(label, { exact: true })
  }

  term(key: string): Locator {
    return this.estimatePanel.getByTestId(`term-${key}`)
  }

  async peakBytes(): Promise<number> {
    return Number(await this.peak.getAttribute('data-bytes'))
  }
}

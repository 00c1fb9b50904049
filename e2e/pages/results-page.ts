import type { Locator, Page } from '@playwright/test'

/** RESULTS: output folder, files, snippet, model card and the playground. */
export class ResultsPage {
  readonly outputDir: Locator
  readonly files: Locator
  readonly snippet: Locator
  readonly prompt: Locator
  readonly generate: Locator
  readonly tunedAnswer: Locator
  readonly baseAnswer: Locator

  constructor(readonly page: Page) {
    this.outputDir = page.getByTestId('output-dir')
    this.files = page.getByRole('table', { name: 'Files produced' })
    this.snippet = page.getByTestId('snippet')
    this.prompt = page.getByLabel('Prompt (in the format the model was trained on)')
    this.generate = page.getByRole('button', { name: 'Generate' })
    this.tunedAnswer = page.getByTestId('answer-tuned')
    this.baseAnswer = page.getByTestId('answer-base')
  }

  async open(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Results/ }).click()
  }
}

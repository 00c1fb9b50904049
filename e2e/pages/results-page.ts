import { expect, type Locator, type Page } from '@playwright/test'

/** RESULTS: output folder, files, snippet, model card and the playground. */
export class ResultsPage {
  readonly outputDir: Locator
  readonly files: Locator
  readonly snippet: Locator
  readonly instruction: Locator
  readonly context: Locator
  readonly rawPrompt: Locator
  readonly promptSent: Locator
  readonly generate: Locator
  readonly tunedAnswer: Locator
  readonly baseAnswer: Locator

  constructor(readonly page: Page) {
    this.outputDir = page.getByTestId('output-dir')
    this.files = page.getByRole('table', { name: 'Files produced' })
    this.snippet = page.getByTestId('snippet')
    this.instruction = page.getByLabel('Instruction', { exact: true })
    this.context = page.getByLabel('Input (optional context)')
    this.rawPrompt = page.getByLabel('Raw prompt', { exact: true })
    this.promptSent = page.getByTestId('prompt-sent')
    this.generate = page.getByRole('button', { name: 'Generate' })
    this.tunedAnswer = page.getByTestId('answer-tuned')
    this.baseAnswer = page.getByTestId('answer-base')
  }

  /** The finetuned model's answer once both answers are in; fails the test when it is empty. */
  async askBoth(timeout = 90_000): Promise<{ tuned: string; base: string }> {
    await this.generate.click()
    await expect(this.tunedAnswer).toHaveAttribute('data-state', 'done', { timeout })
    await expect(this.baseAnswer).toHaveAttribute('data-state', 'done', { timeout })
    const tuned = (await this.tunedAnswer.locator('pre').textContent()) ?? ''
    const base = (await this.baseAnswer.locator('pre').textContent()) ?? ''
    expect(tuned.trim().length, 'the finetuned model answered nothing').toBeGreaterThan(0)
    return { tuned, base }
  }

  async open(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Results/ }).click()
  }

  /** The Export panel (format, GGUF type, size estimate, progress, the exports made). */
  exportPanel(): Locator {
    return this.page.getByRole('region', { name: 'Export', exact: true })
  }

  /** The plan line: estimated size, target folder and free space (or why the export cannot start). */
  exportPlan(): Locator {
    return this.page.getByTestId('export-plan')
  }

  /** One export made, by id ("gguf-f16", "merged", "adapter"). */
  exportRecord(id: string): Locator {
    return this.page.getByTestId(`export-${id}`)
  }

  /** Chooses the format (and GGUF type), waits for the size estimate, exports, and waits for the verdict. */
  async exportAs(format: 'gguf' | 'merged' | 'adapter', quant: string | null, timeout = 300_000): Promise<Locator> {
    const panel = this.exportPanel()
    await panel.getByRole('radio', { name: { gguf: /^GGUF/, merged: /^Merged model/, adapter: /^PEFT adapter/ }[format] }).check()
    if (quant) await panel.getByLabel('Type', { exact: true }).selectOption(quant)
    await expect(this.exportPlan()).toContainText(/About [\d.]+ (B|KiB|MiB|GiB) to /)
    await panel.getByRole('button', { name: 'Export', exact: true }).click()
    await expect(this.page.getByTestId('export-progress')).toBeVisible()
    const record = this.exportRecord(format === 'gguf' ? `gguf-${quant}` : format)
    await expect(record.getByTestId('export-verification')).toBeVisible({ timeout })
    return record
  }

  /** The playground's answer from the GGUF export in llama.cpp. */
  async askExport(timeout = 120_000): Promise<string> {
    const answer = this.page.getByTestId('answer-gguf')
    await answer.getByRole('button', { name: 'Ask the export' }).click()
    await expect(answer).toHaveAttribute('data-state', 'done', { timeout })
    return (await answer.locator('pre').textContent()) ?? ''
  }
}

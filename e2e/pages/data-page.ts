import fs from 'node:fs'
import path from 'node:path'
import { expect, type Locator, type Page } from '@playwright/test'

/** The Data step: a CSV in, its rows, the mapping wizard and the formatted preview. */
export class DataPage {
  readonly navButton: Locator
  readonly fileInput: Locator
  readonly fileName: Locator
  readonly rowCount: Locator
  readonly headerDecision: Locator
  readonly noHeaderToggle: Locator
  readonly problems: Locator
  readonly alert: Locator
  readonly table: Locator
  readonly suggestion: Locator
  readonly promptSelect: Locator
  readonly contextSelect: Locator
  readonly responseSelect: Locator
  readonly useMapping: Locator
  readonly mappingStatus: Locator
  readonly formattedExample: Locator
  readonly rowNumberInput: Locator
  readonly showRow: Locator
  readonly checkSummary: Locator
  readonly dropInvalidRows: Locator
  readonly continueButton: Locator
  readonly stepStatus: Locator

  constructor(readonly page: Page) {
    this.navButton = page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Data$/ })
    this.fileInput = page.locator('input[type="file"][aria-label="CSV file"]')
    this.fileName = page.getByTestId('data-file-name')
    this.rowCount = page.getByTestId('data-row-count')
    this.headerDecision = page.getByTestId('data-header-decision')
    this.noHeaderToggle = page.getByLabel('My file has no header (its first row is data)')
    this.problems = page.getByRole('list', { name: 'Problems in the file' })
    this.alert = page.locator('.data-file [role="alert"]')
    this.table = page.getByRole('table', { name: /^Rows of / })
    this.suggestion = page.getByLabel('Suggested mapping')
    this.promptSelect = page.getByLabel('Prompt (the instruction or question)')
    this.contextSelect = page.getByLabel('Context (optional extra input)')
    this.responseSelect = page.getByLabel('Response (what the model learns to write)')
    this.useMapping = page.getByRole('button', { name: 'Use this mapping' })
    this.mappingStatus = page.locator('.data-confirm [role="status"]')
    this.formattedExample = page.getByTestId('formatted-example')
    this.rowNumberInput = page.getByLabel('Row number')
    this.showRow = page.getByRole('button', { name: 'Show row' })
    this.checkSummary = page.getByTestId('data-check-summary')
    this.dropInvalidRows = page.getByLabel(/^Drop these .* rows when training$/)
    this.continueButton = page.getByRole('button', { name: 'Continue to Model' })
    this.stepStatus = page.getByTestId('data-step-status')
  }

  async open(): Promise<void> {
    await this.navButton.click()
  }

  /**
   * Brings a CSV in as a user of that host would: Electron's file picker gives a real path; in a
   * browser the file is dropped on the window (and uploaded).
   */
  async bringIn(host: 'browser' | 'electron', csvPath: string): Promise<void> {
    if (host === 'electron') await this.fileInput.setInputFiles(csvPath)
    else await this.dropFile(path.basename(csvPath), fs.readFileSync(csvPath))
  }

  /** Drops a file on the window the way a desktop drag does: dragenter, dragover, drop with a DataTransfer. */
  async dropFile(name: string, bytes: Buffer): Promise<void> {
    await this.page.evaluate(
      ({ name, base64 }) => {
        const binary = atob(base64)
        const data = new Uint8Array(binary.length)
        for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i)
        const transfer = new DataTransfer()
        transfer.items.add(new File([data], name, { type: 'text/csv' }))
        const target = document.querySelector('main') ?? document.body
        for (const type of ['dragenter', 'dragover', 'drop']) {
          target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }))
        }
      },
      { name, base64: bytes.toString('base64') }
    )
  }

  /** The row-number cell of a data row, when that row is rendered. */
  rowNumber(row: number): Locator {
    return this.table.locator(`[data-row="${row}"] .data-row-number`)
  }

  rowCells(row: number): Locator {
    return this.table.locator(`[data-row="${row}"] [role="cell"]`)
  }

  async scrollTableTo(fraction: number): Promise<void> {
    await this.table.evaluate((element, at) => {
      element.scrollTop = (element.scrollHeight - element.clientHeight) * at
    }, fraction)
  }

  /** The training text exactly as rendered (textContent keeps every newline and space). */
  async formattedText(): Promise<string> {
    return (await this.formattedExample.textContent()) ?? ''
  }

  /** Puts the mapping wizard at the top of the window (for screenshots: wizard and preview together). */
  async scrollToMapping(): Promise<void> {
    await this.page.getByRole('heading', { name: /^Mapping/ }).evaluate((heading) => heading.closest('section')?.scrollIntoView({ block: 'start' }))
  }

  /** Text format: the chosen model's own chat template instead of the LocalTune format. */
  modelChatTemplate(): Locator {
    return this.page.getByRole('radio', { name: /own chat template$/ })
  }

  /** Chooses the model's chat template; the radio turns on once the core has read the template. */
  async useModelChatTemplate(): Promise<void> {
    await this.modelChatTemplate().click()
    await expect(this.modelChatTemplate()).toBeChecked()
  }

  async previewRow(row: number): Promise<void> {
    await this.rowNumberInput.fill(String(row))
    await this.showRow.click()
  }
}

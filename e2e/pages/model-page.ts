import type { Locator, Page } from '@playwright/test'

/** The Model step: the catalog, its search, "Add a folder…", the Hugging Face id lookup, and carrying models to and from a disk. */
export class ModelPage {
  readonly navButton: Locator
  readonly search: Locator
  readonly models: Locator
  readonly folderInput: Locator
  readonly addFolder: Locator
  readonly hubIdInput: Locator
  readonly findHubId: Locator
  readonly hubIdMessage: Locator
  readonly stepStatus: Locator
  readonly continueButton: Locator
  readonly addFromDiskFolder: Locator
  readonly addFromDiskId: Locator
  readonly addFromDisk: Locator
  readonly addFromDiskMessage: Locator
  readonly packModelChoice: Locator
  readonly packInto: Locator
  readonly packModel: Locator
  readonly packMessage: Locator

  constructor(readonly page: Page) {
    this.navButton = page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: /Model$/ })
    this.search = page.getByLabel('Search models')
    this.models = page.getByRole('list', { name: 'Models' })
    this.folderInput = page.getByLabel('Folder path')
    this.addFolder = page.getByRole('button', { name: 'Add folder' })
    this.hubIdInput = page.getByLabel('Hugging Face id')
    this.findHubId = page.getByRole('button', { name: 'Find in cache' })
    this.hubIdMessage = page.getByTestId('hub-id-message')
    this.stepStatus = page.getByTestId('model-step-status')
    this.continueButton = page.getByRole('button', { name: 'Continue to Parameters & estimate' })
    this.addFromDiskFolder = page.getByLabel('Model folder to add')
    this.addFromDiskId = page.getByLabel('Id to file it under')
    this.addFromDisk = page.getByRole('button', { name: 'Add the model' })
    this.addFromDiskMessage = page.getByTestId('add-model-disk-message')
    this.packModelChoice = page.getByLabel('Model to pack')
    this.packInto = page.getByLabel('Folder to pack into')
    this.packModel = page.getByRole('button', { name: 'Pack the model' })
    this.packMessage = page.getByTestId('pack-model-message')
  }

  card(id: string): Locator {
    return this.page.getByTestId(`model-${id}`)
  }

  /** The card's Parameters line ("135M · 134,515,008 (from the weights)"). */
  parameters(id: string): Locator {
    return this.card(id).locator('dt', { hasText: /^Parameters$/ }).locator('xpath=following-sibling::dd[1]')
  }

  /** The card's tokenizer line, with "✓ chat template" or "✗ no chat template". */
  tokenizer(id: string): Locator {
    return this.card(id).locator('dt', { hasText: /^Tokenizer$/ }).locator('xpath=following-sibling::dd[1]')
  }

  /** The note on a real model small enough to train on a CPU. */
  cpuNote(id: string): Locator {
    return this.card(id).getByTestId('model-cpu-note')
  }

  async choose(id: string): Promise<void> {
    await this.card(id).getByRole('button', { name: /^Choose/ }).click()
  }
}

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '../fixtures/app'
import { DataPage } from '../pages/data-page'
import { ModelPage } from '../pages/model-page'
import { ParametersPage } from '../pages/parameters-page'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const smolConfig = path.resolve(root, '..', 'shared', 'data', 'model-configs', 'HuggingFaceTB--SmolLM2-135M', 'config.json')

test("trust_remote_code is switched on only through a dialog that says the risk, and the core refuses it unconfirmed", async ({ app }) => {
  const page = app.page
  const data = new DataPage(page)
  const model = new ModelPage(page)
  const parameters = new ParametersPage(page)

  await data.open()
  await data.bringIn(app.host, path.join(root, 'resources', 'demo', 'sample-chat.csv'))
  await data.useMapping.click()
  await expect(data.stepStatus).toContainText('The data is ready')
  await data.continueButton.click()

  // A real model's config is enough for the estimate; the settings concern the model's own code and files.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-e2e-risky-'))
  const smol = path.join(folder, 'SmolLM2-135M')
  fs.mkdirSync(smol)
  fs.copyFileSync(smolConfig, path.join(smol, 'config.json'))
  await model.folderInput.fill(smol)
  await model.addFolder.click()
  await model.choose(smol)
  await model.continueButton.click()

  const trust = page.getByLabel("Run the model's own Python code (trust_remote_code)")
  const dialog = page.getByRole('dialog')
  await trust.click() // opens the dialog; the box stays off until "Allow"
  await expect(dialog).toBeVisible()
  await expect(dialog.getByTestId('risk-text')).toContainText('runs as you, with access to your files and the network')
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(dialog).toBeHidden()
  await expect(trust).not.toBeChecked()

  await trust.click() // opens the dialog; the box stays off until "Allow"
  await dialog.getByRole('button', { name: 'Allow for this model' }).click()
  await expect(trust).toBeChecked()
  await parameters.projectName.fill('Remote code confirmed')
  await expect(parameters.createProject).toBeEnabled()
  await parameters.createProject.click()
  await expect(parameters.created).toContainText('Project Remote code confirmed saved')

  // The same request without the confirmation, straight from a script in the page: refused.
  const answers = await page.evaluate(async () => {
    const call = async (channel: string, request: unknown) => (await fetch(`/api/${channel}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request) })).json()
    const projects = (await call('projects.list', {})) as { value: Array<{ data: unknown; model: unknown; settings: { model: Record<string, unknown> }; estimate: unknown; hardware: unknown }> }
    const saved = projects.value[0]!
    const request = { name: 'Unconfirmed', data: saved.data, model: saved.model, settings: saved.settings, estimate: saved.estimate, hardware: saved.hardware }
    return { saved: saved.settings.model, refused: await call('projects.create', request) }
  })
  expect(answers.saved).toMatchObject({ trust_remote_code: true, allow_downloads: false })
  expect(answers.refused).toMatchObject({ ok: false, error: { code: 'conflict', details: ['settings.model.trust_remote_code'] } })
  fs.rmSync(folder, { recursive: true, force: true })
})

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Papa from 'papaparse'
import { buildTestModel, hfPython, modelConfigs, modelConfigsPresent, testModels } from '../../tests/helpers/model-factory'
import { expect, test as base } from '../fixtures/app'
import { DataPage } from '../pages/data-page'
import { ModelPage } from '../pages/model-page'
import { ParametersPage } from '../pages/parameters-page'

/**
 * "Verify on this machine": an HF model's estimate measured on the CPU by the real runtime, in
 * the app, measured beside estimated, before Create Project. The model is SmolLM2's layout at 2
 * layers of width 64 (real vocabulary and tokenizer, random weights) in a temp Hugging Face cache.
 */

const roleplayCsv = path.join(modelConfigs, '..', 'gpteacher-roleplay.csv')
const tinyId = 'localtune-e2e/SmolLM2-2L-64'
const rows = 20
const python = hfPython()

const test = base.extend<object, { verifyModel: { hfHome: string; csv: string } }>({
  verifyModel: [
    async ({}, use) => {
      if (!python.python) throw new Error('reason' in python ? python.reason : 'no Python for Hugging Face models')
      const hfHome = fs.mkdtempSync(path.join(os.tmpdir(), 'localtune-e2e-verify-'))
      buildTestModel(python.python, { ...testModels.smolLm2Tiny, hfHome, repoId: tinyId })
      const parsed = Papa.parse<string[]>(fs.readFileSync(roleplayCsv, 'utf8'), { skipEmptyLines: true })
      const csv = path.join(hfHome, 'gpteacher-roleplay-20.csv')
      fs.writeFileSync(csv, Papa.unparse(parsed.data.slice(0, rows + 1)))
      await use({ hfHome, csv })
      fs.rmSync(hfHome, { recursive: true, force: true })
    },
    { scope: 'worker' }
  ],
  hfHome: async ({ verifyModel }, use) => use(verifyModel.hfHome)
})

test.skip(!python.python, `no runtime to build and train Hugging Face models: ${'reason' in python ? python.reason : ''}`)
test.skip(!modelConfigsPresent(), `the real model configs are not at ${modelConfigs} (clone shared/ beside the repository)`)

test('verifies an HF model estimate on the CPU: progress, cancel, then measured beside estimated, and Create Project says the figures are measured', async ({ app, verifyModel }) => {
  test.setTimeout(300_000)
  const page = app.page
  const model = new ModelPage(page)
  const data = new DataPage(page)
  const parameters = new ParametersPage(page)

  await model.navButton.click()
  await model.choose(tinyId)
  await data.open()
  await data.bringIn(app.host, verifyModel.csv)
  await expect(data.rowCount).toHaveText(`${rows} data rows`)
  await data.useMapping.click()
  await expect(data.stepStatus).toContainText('The data is ready')
  await data.continueButton.click()
  await model.continueButton.click()

  await expect(parameters.verdict).toBeVisible({ timeout: 60_000 })
  await parameters.manual.check()
  await parameters.field('Max length (tokens)').fill('256')
  await parameters.field('Micro batch size').fill('2')
  await expect(parameters.createStatus).toContainText('this estimate (not verified on this machine)')

  // Cancel: the runtime is stopped, and the panel says so.
  await parameters.verify.click()
  await expect(parameters.verifyProgress).toBeVisible()
  await parameters.verifyCancel.click()
  await expect(parameters.verifyPanel.getByText('Verification cancelled.')).toBeVisible({ timeout: 60_000 })

  // Measured: progress through the steps, then the comparison.
  await parameters.verify.click()
  await expect(parameters.verifyProgress).toContainText(/Step \d of 3 on the longest 2 examples/, { timeout: 120_000 })
  await expect(parameters.verifyResult).toBeVisible({ timeout: 120_000 })
  await expect(parameters.verifyResult).toHaveAttribute('data-fits', 'true')
  await expect(parameters.verifyResult.getByText('Fits (measured)')).toBeVisible()
  const measuredBytes = Number(await parameters.measuredPeak.getAttribute('data-bytes'))
  expect(measuredBytes).toBeGreaterThan(100 * 1024 ** 2) // a Python process with PyTorch and a model
  await expect(parameters.measuredPeak).toContainText(/[+−±]\d+ %/)
  await expect(parameters.verifyComparison.getByRole('row', { name: /Weights and adapters/ })).toContainText(/MiB.*MiB/)
  await expect(parameters.verifyStepTime).toHaveText(/^\d+\.\d\d s$/)
  await expect(parameters.verifyTime).toHaveText(/\d/)

  // Create Project saves the measured figures.
  await expect(parameters.createStatus).toContainText('the figures measured on this machine')
  await parameters.projectName.fill('Verified roleplay')
  await parameters.createProject.click()
  await expect(parameters.created).toBeVisible({ timeout: 60_000 })
})

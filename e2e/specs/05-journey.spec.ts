import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Papa from 'papaparse'
import { expect, test } from '../fixtures/app'
import { DataPage } from '../pages/data-page'
import { HistoryPage } from '../pages/history-page'
import { ModelPage } from '../pages/model-page'
import { ParametersPage } from '../pages/parameters-page'
import { ResultsPage } from '../pages/results-page'
import { TrainPage } from '../pages/train-page'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const roleplayCsv = path.resolve(root, '..', 'shared', 'data', 'gpteacher-roleplay.csv')
const steps = 12

/** Row 1 of the file as the spec says it trains, computed here from the CSV, not by the app. */
function expectedFirstExample(): string {
  const rows = Papa.parse<Record<string, string>>(fs.readFileSync(roleplayCsv, 'utf8'), { header: true, skipEmptyLines: true }).data
  const first = rows[0]!
  const context = first.input ?? ''
  return context.trim() === ''
    ? `Below is an instruction that describes a task. Write a response that appropriately completes the request.\n### Instruction: ${first.instruction}\n### Response: ${first.output}`
    : `Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n### Instruction: ${first.instruction}\n### Input: ${context}\n### Response: ${first.output}`
}

test('the whole path with a real CSV: data, model, estimate, project, train, stop, resume, results, and history after a restart', async ({ app }) => {
  test.setTimeout(480_000)
  const page = app.page
  const data = new DataPage(page)
  const model = new ModelPage(page)
  const parameters = new ParametersPage(page)
  const train = new TrainPage(page)

  // Data: drop the file, accept the suggested chat mapping, and read row 1 exactly as it will train.
  await data.open()
  await data.bringIn(app.host, roleplayCsv)
  await expect(data.rowCount).toHaveText('3,146 data rows')
  await data.useMapping.click()
  await expect(data.stepStatus).toContainText('The data is ready')
  await data.previewRow(1)
  expect(await data.formattedText()).toBe(expectedFirstExample())
  await data.continueButton.click()

  // Model: the built-in tiny model (this machine has no GPU).
  await model.choose('localtune/tiny-demo')
  await parameters.navButton.click()

  // Parameters: Auto explains itself and the estimate is shown; then a short run in Manual.
  await expect(parameters.autoChoices).toBeVisible()
  await expect(parameters.verdict).toBeVisible()
  await expect(parameters.time).toBeVisible()
  await parameters.manual.check()
  await parameters.field('Stop after steps').fill(String(steps))
  await parameters.field('Max length (tokens)').fill('384')
  await expect(parameters.verdict).toBeVisible()
  await parameters.projectName.fill('Roleplay journey')
  await expect(parameters.createAndTrain).toBeEnabled()
  await parameters.createAndTrain.click()

  // Train: live curve, stop with a checkpoint, resume into the same curve, finish.
  await expect(page.getByRole('heading', { name: 'Train', level: 2 })).toBeVisible()
  const runId = (await page.getByTestId('run-id').textContent()) ?? ''
  await train.waitForPoints(2)
  await train.stop.click()
  await train.waitForStatus('stopped')
  const stoppedAt = await train.lastStep()
  await expect(train.lastCheckpoint).toHaveAttribute('data-step', String(stoppedAt))
  await train.resume.click()
  await train.waitForStatus('completed', 240_000)
  expect(await train.points()).toBe(steps)

  // Results and a playground answer from the finetuned model.
  const results = new ResultsPage(page)
  await train.seeResults.click()
  await expect(results.files).toContainText('README.md')
  await results.instruction.fill('Pretend you are a tour guide in Rome. Describe the Colosseum.')
  await results.askBoth(90_000)

  // A new start of the host finds the project and its run in History.
  await app.restart()
  const history = new HistoryPage(app.page)
  await history.open()
  await expect(app.page.getByText('Roleplay journey')).toBeVisible()
  await expect(history.run(runId)).toContainText('Completed')
  await expect(history.run(runId)).toContainText('gpteacher-roleplay.csv')
})

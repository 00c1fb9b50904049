import fs from 'node:fs'
import path from 'node:path'
import { expect, screenshotForReadme, test } from '../fixtures/app'
import { DemoPanel } from '../pages/demo-panel'
import { HistoryPage } from '../pages/history-page'
import { ResultsPage } from '../pages/results-page'
import { TrainPage } from '../pages/train-page'

// The tiny demo model trains for real on the CPU (about a second per step on 2 cores): keep it short.
const demoSteps = 40

test('the demo trains live: stop, resume, reload mid-run, finish, playground, and the run survives a host restart', async ({ app }) => {
  test.setTimeout(420_000)
  const page = app.page

  // Welcome: the plan is shown before anything starts.
  const demo = new DemoPanel(page)
  await expect(demo.plan).toContainText('sample-chat.csv')
  await expect(demo.plan).toContainText('localtune/tiny-demo')
  await expect(demo.plan).toContainText('CPU')
  await expect(page.getByTestId('demo-time')).toContainText(/about \d+:\d\d–\d+:\d\d/)
  await demo.startDemo(demoSteps)

  // Train: the curve gains points live and the terminal shows the runtime's progress bar.
  const train = new TrainPage(page)
  await expect(page.getByRole('heading', { name: 'Train', level: 2 })).toBeVisible()
  const runId = (await page.getByTestId('run-id').textContent()) ?? ''
  expect(runId).toMatch(/^\d{8}-\d{6}-/)
  const first = await train.waitForPoints(1)
  await train.waitForPoints(first + 3)
  // xterm draws only while it is on screen.
  await train.terminal.scrollIntoViewIfNeeded()
  // the runtime draws its bar with tqdm (a runtime requirement): "train:  25%|███   | 10/40"
  await expect(train.terminal).toContainText(new RegExp(`train:\\s+\\d+%.*\\d+/${demoSteps}`))
  await train.waitForPoints(6)
  await page.evaluate(() => window.scrollTo(0, 0))
  await screenshotForReadme(page, '04-train')

  // Stop: it finishes the step, saves a checkpoint and says so.
  await train.stop.click()
  await train.waitForStatus('stopped')
  await expect(train.lastCheckpoint).toBeVisible()
  const stoppedAt = Number(await train.lastCheckpoint.getAttribute('data-step'))
  // The curve ends at the step the checkpoint saved (the chart draws on the next frame).
  await expect.poll(() => train.lastStep()).toBe(stoppedAt)
  const pointsAtStop = await train.points()
  expect(pointsAtStop).toBe(stoppedAt)

  // Resume: the same curve continues past the stop step.
  await train.resume.click()
  await train.waitForStatus(/running|queued/)
  await train.waitForPoints(pointsAtStop + 2)
  expect(await train.lastStep()).toBeGreaterThan(stoppedAt)

  // Reload mid-run: the screen comes back to the live run and keeps growing.
  const beforeReload = await train.points()
  await page.reload()
  await expect(page.getByTestId('run-id')).toHaveText(runId)
  await train.waitForStatus('running')
  await train.waitForPoints(beforeReload + 2)
  await train.terminal.scrollIntoViewIfNeeded()
  await expect(train.terminal).toContainText('Resuming run')

  // Finish.
  await train.waitForStatus('completed', 180_000)
  await expect.poll(() => train.points()).toBe(demoSteps)

  // Zoom by dragging, reset by keyboard; zoom by keyboard, reset by the button.
  await train.zoomByDrag(0.2, 0.6)
  await expect(train.resetZoom).toBeEnabled()
  await train.chart.focus()
  await page.keyboard.press('0')
  await expect(train.resetZoom).toBeDisabled()
  await page.keyboard.press('+')
  await expect(train.resetZoom).toBeEnabled()
  await train.resetZoom.click()
  await expect(train.resetZoom).toBeDisabled()

  // Results: files, snippet, and a streamed playground answer next to the base model's.
  const results = new ResultsPage(page)
  await train.seeResults.click()
  await expect(results.outputDir).toContainText(runId)
  await expect(results.files).toContainText('README.md')
  await expect(results.snippet).toContainText(`localtune generate ${runId}`)
  // The fields start from the first training example; the model reads them formatted exactly like it.
  await expect(results.instruction).not.toHaveValue('')
  const answers = await results.askBoth(120_000)
  expect(answers.tuned).not.toBe(answers.base)
  await results.promptSent.locator('summary').click()
  await expect(results.promptSent.locator('pre')).toHaveText(/### Instruction: [\s\S]*### Response:$/)
  await page.getByRole('region', { name: /^Use it/ }).evaluate((panel) => panel.scrollIntoView({ block: 'start' }))
  await screenshotForReadme(page, '05-results')

  // History survives a restart of the host.
  await app.restart()
  const history = new HistoryPage(app.page)
  await history.open()
  await expect(history.run(runId)).toContainText('Completed')
  await expect(history.run(runId)).toContainText('localtune/tiny-demo')
})

test('run again with changes, compare the two runs, and delete one after confirming', async ({ app }) => {
  test.setTimeout(240_000)
  const page = app.page
  const demo = new DemoPanel(page)
  const train = new TrainPage(page)
  await demo.startDemo(6)
  const firstRun = ((await page.getByTestId('run-id').textContent()) ?? '').trim()
  await train.waitForStatus('completed')

  // Run again with a lower learning rate and fewer steps: the new run opens on Train.
  await page.getByRole('button', { name: 'Run again with changes…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Run again with changes' })
  await dialog.getByLabel('Learning rate', { exact: true }).fill('0.0005')
  await dialog.getByLabel('Max steps', { exact: true }).fill('5')
  await dialog.getByRole('button', { name: 'Start the new run' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.getByTestId('run-id')).not.toHaveText(firstRun)
  const secondRun = ((await page.getByTestId('run-id').textContent()) ?? '').trim()
  await train.waitForStatus('completed')
  await expect.poll(() => train.points()).toBe(5)

  // Compare: both curves on one chart, and the settings that differ.
  const history = new HistoryPage(page)
  await history.open()
  await history.run(firstRun).getByRole('checkbox').check()
  await history.run(secondRun).getByRole('checkbox').check()
  await history.compare.click()
  await expect(history.comparePanel).toContainText('params.learning_rate')
  await expect(history.comparePanel).toContainText('params.max_steps')
  await expect.poll(async () => Number(await history.comparePanel.getByTestId('loss-chart').getAttribute('data-points'))).toBe(6)
  await screenshotForReadme(page, '06-history')

  // Delete: a real dialog; Escape keeps the run, confirming removes it and its folder.
  await history.run(secondRun).getByRole('button', { name: `Delete run ${secondRun}` }).click()
  await expect(history.deleteDialog).toBeVisible()
  await expect(history.deleteDialog.getByRole('button', { name: 'Cancel' })).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(history.deleteDialog).toBeHidden()
  await expect(history.run(secondRun)).toBeVisible()
  await history.run(secondRun).getByRole('button', { name: `Delete run ${secondRun}` }).click()
  await history.deleteDialog.getByRole('button', { name: 'Delete run and folder' }).click()
  await expect(history.run(secondRun)).toHaveCount(0)
  await expect(history.comparePanel).toBeHidden()
  expect(fs.existsSync(path.join(app.home, 'runs', secondRun))).toBe(false)
  expect(fs.existsSync(path.join(app.home, 'runs', firstRun))).toBe(true)
})

test('a run the host lost in a crash comes back interrupted, and Resume continues its curve', async ({ app }) => {
  test.setTimeout(240_000)
  const demo = new DemoPanel(app.page)
  await demo.startDemo(60)
  let train = new TrainPage(app.page)
  const runId = ((await app.page.getByTestId('run-id').textContent()) ?? '').trim()
  await train.waitForPoints(4)

  // The host dies with SIGKILL mid-run (its pty and the runtime with it); a new host starts.
  app.killHost()
  await app.restart()
  const history = new HistoryPage(app.page)
  await history.open()
  await expect(history.run(runId)).toContainText('Interrupted')
  await history.run(runId).getByRole('button', { name: `Open run ${runId} on Train` }).click()

  train = new TrainPage(app.page)
  await train.waitForStatus('interrupted')
  await expect(app.page.getByRole('region', { name: /^Status/ })).toContainText('LocalTune closed or crashed while this run was training')
  const pointsBefore = await train.points()
  expect(pointsBefore).toBeGreaterThanOrEqual(4)
  // Resume is refused while the old process is still saving; the button says why and can be pressed again.
  await expect(async () => {
    await train.resume.click()
    await train.waitForStatus(/queued|running/, 3_000)
  }).toPass({ timeout: 60_000 })
  await train.waitForPoints(pointsBefore + 2)
  await train.stop.click()
  await train.waitForStatus('stopped')
})

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Papa from 'papaparse'
import { expect, screenshotForReadme, test } from '../fixtures/app'
import { DataPage } from '../pages/data-page'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const roleplayCsv = path.resolve(root, '..', 'shared', 'data', 'gpteacher-roleplay.csv')

// The LocalTune chat format as the spec defines it, written here independently of the app's
// formatter: the preview must show exactly this text.
const preambleWithContext =
  'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.'
const preambleWithoutContext = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.'

function expectedTrainingText(row: { instruction: string; input: string; output: string }): string {
  if (row.input.trim() === '') return `${preambleWithoutContext}\n### Instruction: ${row.instruction}\n### Response: ${row.output}`
  return `${preambleWithContext}\n### Instruction: ${row.instruction}\n### Input: ${row.input}\n### Response: ${row.output}`
}

function roleplayRows(): { instruction: string; input: string; output: string }[] {
  const parsed = Papa.parse<{ instruction: string; input: string; output: string }>(fs.readFileSync(roleplayCsv, 'utf8'), { header: true, skipEmptyLines: true })
  return parsed.data
}

async function chooseRoleplayFile(data: DataPage, host: 'browser' | 'electron'): Promise<void> {
  // In the desktop app a File built in the page has no path on disk; the picker gives a real one.
  if (host === 'electron') await data.fileInput.setInputFiles(roleplayCsv)
  else await data.dropFile('gpteacher-roleplay.csv', fs.readFileSync(roleplayCsv))
}

test('a dropped CSV shows its rows, the suggested chat mapping and exactly the text row 1 trains on', async ({ app }) => {
  const data = new DataPage(app.page)
  const rows = roleplayRows()
  expect(rows).toHaveLength(3146)
  await data.open()
  await chooseRoleplayFile(data, app.host)

  await expect(data.fileName).toHaveText('gpteacher-roleplay.csv')
  await expect(data.rowCount).toHaveText('3,146 data rows')
  await expect(data.headerDecision).toContainText('yes')
  await expect(data.rowCells(1).first()).toContainText('Imagine you are a detective')

  await expect(data.suggestion).toContainText('"instruction" → prompt')
  await expect(data.suggestion).toContainText('"input" → context')
  await expect(data.suggestion).toContainText('"output" → response')
  await expect(data.promptSelect).toHaveValue('instruction')
  await expect(data.contextSelect).toHaveValue('input')
  await expect(data.responseSelect).toHaveValue('output')
  await expect(data.continueButton).toBeDisabled()
  await screenshotForReadme(app.page, '02-data')

  await data.useMapping.click()
  await expect(data.mappingStatus).toHaveText('Confirmed · 3,146 rows can train')
  await expect(data.checkSummary).toHaveText('All 3,146 rows can train with this mapping.')

  const first = rows[0] as (typeof rows)[number]
  await expect(data.formattedExample).toBeVisible()
  expect(await data.formattedText()).toBe(expectedTrainingText(first))
  // With "train on the response only" (the default) only the response carries loss, from the
  // space after "Response:" on (byte-level tokenizers fold that space into the answer's first word).
  await expect(data.formattedExample.locator('mark.data-loss')).toHaveCount(1)
  expect(await data.formattedExample.locator('mark.data-loss').textContent()).toBe(` ${first.output}`)

  // A row with a context gets the ### Input: line and the other preamble.
  const withContext = rows.findIndex((row) => row.input.trim() !== '')
  expect(withContext).toBeGreaterThan(0)
  await data.previewRow(withContext + 1)
  await expect(data.formattedExample).toContainText('### Input: ')
  expect(await data.formattedText()).toBe(expectedTrainingText(rows[withContext] as (typeof rows)[number]))
  await data.page.getByRole('button', { name: 'Row 1', exact: true }).click()
  expect(await data.formattedText()).toBe(expectedTrainingText(first))
  await data.scrollToMapping()
  await screenshotForReadme(app.page, '02-data-mapping')

  await expect(data.stepStatus).toContainText('The data is ready')
  await data.continueButton.click()
  await expect(app.page.getByRole('heading', { level: 2, name: 'Model' })).toBeVisible()

  // What was previewed is what was written: row 1 in the draft's training files.
  const drafts = path.join(app.home, 'drafts')
  const [datasetId] = fs.readdirSync(drafts)
  const lines = ['train.jsonl', 'valid.jsonl']
    .map((name) => path.join(drafts, datasetId as string, name))
    .filter((file) => fs.existsSync(file))
    .flatMap((file) => fs.readFileSync(file, 'utf8').trim().split('\n'))
    .map((line) => JSON.parse(line) as { prompt: string; response: string; row: number })
  expect(lines).toHaveLength(3146)
  const written = lines.find((line) => line.row === 1)
  expect(written && written.prompt + written.response).toBe(expectedTrainingText(first))
})

test('the table scrolls through every row to row 3,146', async ({ app }) => {
  const data = new DataPage(app.page)
  await data.open()
  await chooseRoleplayFile(data, app.host)
  await expect(data.rowCount).toHaveText('3,146 data rows')
  await expect(data.rowNumber(1)).toHaveText('1')
  // Only the rows in view are in the page, not all 3,146.
  expect(await data.table.locator('[data-row]').count()).toBeLessThan(60)

  await data.scrollTableTo(0.5)
  await expect(data.rowNumber(1573)).toBeVisible()
  await expect(data.rowCells(1573).first()).not.toHaveText('…')
  await data.scrollTableTo(1)
  await expect(data.rowNumber(3146)).toHaveText('3,146')
  await expect(data.rowNumber(3146)).toBeInViewport()
  await expect(data.rowCells(3146).first()).not.toHaveText('…')
  expect(await data.table.locator('[data-row]').count()).toBeLessThan(60)
})

test('"My file has no header" reads the first row as data, and back', async ({ app }) => {
  const data = new DataPage(app.page)
  await data.open()
  await chooseRoleplayFile(data, app.host)
  await expect(data.rowCount).toHaveText('3,146 data rows')

  await data.noHeaderToggle.check()
  await expect(data.rowCount).toHaveText('3,147 data rows')
  await expect(data.headerDecision).toContainText('no, as you said: the columns are named column_1 to column_3')
  await expect(data.rowCells(1)).toHaveText(['instruction', 'input', 'output'])
  await expect(data.table.getByRole('columnheader')).toHaveText(['Row', 'column_1', 'column_2', 'column_3'])

  await data.noHeaderToggle.uncheck()
  await expect(data.rowCount).toHaveText('3,146 data rows')
  await expect(data.headerDecision).toContainText('yes, as you said')
  await expect(data.promptSelect).toHaveValue('instruction')
})

test('a file that is not a CSV gets a clear problem message and nothing to continue with', async ({ app }) => {
  const data = new DataPage(app.page)
  // The start of a PNG image saved with a .csv name, dropped on the welcome screen: the Data screen opens.
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0, 0, 0, 1, 0, 8, 6, 0, 0, 0])
  await data.dropFile('holiday-photo.csv', png)
  await expect(app.page.getByRole('heading', { level: 2, name: 'Data' })).toBeVisible()
  await expect(data.problems).toContainText('holiday-photo.csv is not a CSV text file')
  await expect(data.problems.locator('.data-problem-error')).toHaveCount(1)
  await expect(data.alert).toContainText('LocalTune cannot use holiday-photo.csv')
  await expect(data.alert).toContainText('Choose a CSV or TSV text file')
  await expect(data.table).toHaveCount(0)
  await expect(data.continueButton).toBeDisabled()
  await expect(data.stepStatus).toHaveText('Choose a CSV file first.')
})

test('rows that cannot train block Continue until the user agrees to drop them', async ({ app }) => {
  const data = new DataPage(app.page)
  await data.open()
  const csv = 'question,answer\nWhat is 2+2?,4\nName a colour,\nCapital of France?,Paris\n'
  await data.dropFile('quiz.csv', Buffer.from(csv))
  await expect(data.rowCount).toHaveText('3 data rows')
  await expect(data.promptSelect).toHaveValue('question')
  await expect(data.responseSelect).toHaveValue('answer')
  await data.useMapping.click()

  await expect(data.checkSummary).toHaveText('1 row of 3 cannot train (1 empty response); 2 rows can.')
  await expect(app.page.getByRole('list', { name: 'Rows that cannot train' })).toContainText('row 2 (line 3 of the file): the response cell (column "answer") is empty')
  await expect(data.continueButton).toBeDisabled()
  await expect(data.stepStatus).toContainText('1 row cannot train')

  await data.dropInvalidRows.check()
  await expect(data.continueButton).toBeEnabled()
  await data.continueButton.click()
  await expect(app.page.getByRole('heading', { level: 2, name: 'Model' })).toBeVisible()
})

test('a file edited after it was read is reported, and read again on request with the mapping kept', async ({ app }) => {
  const data = new DataPage(app.page)
  await data.open()
  await data.dropFile('notes.csv', Buffer.from('prompt,response\nhi,hello\n'))
  await expect(data.rowCount).toHaveText('1 data row')
  await data.responseSelect.selectOption('response')
  await data.useMapping.click()
  await expect(data.mappingStatus).toHaveText('Confirmed · 1 row can train')

  // The user edits the file LocalTune reads (in browser mode: the copy in the home folder).
  const uploads = path.join(app.home, 'uploads')
  const copy = fs
    .readdirSync(uploads)
    .map((folder) => path.join(uploads, folder, 'notes.csv'))
    .find((file) => fs.existsSync(file) && fs.readFileSync(file, 'utf8') === 'prompt,response\nhi,hello\n')
  expect(copy).toBeDefined()
  fs.appendFileSync(copy as string, 'bye,see you\n')
  await app.page.getByRole('navigation', { name: 'Steps' }).getByRole('button', { name: 'Welcome' }).click()
  await data.open()

  const banner = app.page.locator('.data-source-changed')
  await expect(banner).toContainText('changed since it was imported')
  await banner.getByRole('button', { name: 'Read the file again' }).click()
  await expect(data.rowCount).toHaveText('2 data rows')
  await expect(banner).toHaveCount(0)
  await expect(data.promptSelect).toHaveValue('prompt')
  await expect(data.responseSelect).toHaveValue('response')
  await expect(data.mappingStatus).toContainText('Not confirmed yet')
})

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '../fixtures/app'
import { DataPage } from '../pages/data-page'
import { ModelPage } from '../pages/model-page'
import { ParametersPage } from '../pages/parameters-page'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const smolConfig = path.resolve(root, '..', 'shared', 'data', 'model-configs', 'HuggingFaceTB--SmolLM2-135M', 'config.json')

// The hosts' temp homes are under /tmp, which is one of the user's folders; /var/tmp is not
// (not the home folder, the OS temp folder, a Hugging Face cache or a removable disk).
const outsideRoot = '/var/tmp'

test("adding a model folder outside the user's folders asks first: Cancel adds nothing, Allow adds it", async ({ app }) => {
  const page = app.page
  const model = new ModelPage(page)
  const outside = fs.mkdtempSync(path.join(outsideRoot, 'lt-e2e-outside-'))
  try {
    const smol = path.join(outside, 'SmolLM2-135M')
    fs.mkdirSync(smol)
    fs.copyFileSync(smolConfig, path.join(smol, 'config.json'))
    await model.navButton.click()

    const dialog = page.getByRole('dialog')
    // Other specs on the same host may have added folders of their own: look for this one only.
    const remembered = page.getByRole('button', { name: `Forget the folder ${outside}` })
    await model.folderInput.fill(outside)
    await model.addFolder.click()
    await expect(dialog).toBeVisible()
    await expect(dialog.getByTestId('outside-path-text')).toContainText(`LocalTune will read from ${outside} (a folder of models), outside your folders`)
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByRole('alert')).toContainText(`Not allowed, so nothing was read or written: ${outside}`)
    await expect(remembered).toHaveCount(0)
    await expect(model.card(smol)).toHaveCount(0)

    await model.addFolder.click()
    await dialog.getByRole('button', { name: 'Allow this path' }).click()
    await expect(page.getByText(`Added ${outside}: 1 model found.`)).toBeVisible()
    await expect(remembered).toBeVisible()
    await expect(model.card(smol)).toBeVisible()

    // The same request from a script in the page, without the user's confirmation: refused.
    const refused = await page.evaluate(async (folder) => {
      const response = await fetch('/api/models.add-folder', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: `${folder}/SmolLM2-135M` }) })
      return response.json()
    }, outside)
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`path (a folder of models): read from ${smol}`] } })

    // Later specs on this host should not find a remembered folder that is about to be removed.
    await remembered.click()
    await expect(remembered).toHaveCount(0)
  } finally {
    fs.rmSync(outside, { recursive: true, force: true })
  }
})

test("a model in an outside folder the user allowed is read for the estimate and the project without a second question; scripts cannot read outside files", async ({ app }) => {
  const page = app.page
  const data = new DataPage(page)
  const model = new ModelPage(page)
  const parameters = new ParametersPage(page)
  const dialog = page.getByRole('dialog')
  const outside = fs.mkdtempSync(path.join(outsideRoot, 'lt-e2e-outside-'))
  try {
    const smol = path.join(outside, 'SmolLM2-135M')
    fs.mkdirSync(smol)
    fs.copyFileSync(smolConfig, path.join(smol, 'config.json'))

    await data.open()
    await data.bringIn(app.host, path.join(root, 'resources', 'demo', 'sample-chat.csv'))
    await data.useMapping.click()
    await expect(data.stepStatus).toContainText('The data is ready')
    await data.continueButton.click()

    await model.folderInput.fill(outside)
    await model.addFolder.click()
    await expect(dialog.getByTestId('outside-path-text')).toContainText(`LocalTune will read from ${outside} (a folder of models), outside your folders`)
    await dialog.getByRole('button', { name: 'Allow this path' }).click()
    await model.choose(smol)
    await model.continueButton.click()

    // tokens.stats reads the model folder: inside the folder the user allowed, nothing is asked again.
    await expect(parameters.tokenStats).toBeVisible()
    await expect(dialog).toBeHidden()

    // projects.create reads it too (the model and the settings name it): still no question, and saved.
    await parameters.projectName.fill('Outside model')
    await parameters.createProject.click()
    await expect(parameters.created).toContainText('Project Outside model saved')
    await expect(dialog).toBeHidden()

    // The same reads from a script in the page, without the user's confirmation: refused, naming each.
    const csv = path.join(outside, 'notes.csv')
    fs.writeFileSync(csv, 'prompt,response\nhi,hello\n')
    const train = path.join(outside, 'train.jsonl')
    fs.writeFileSync(train, '{"prompt":"hi","response":"hello"}\n')
    const answers = await page.evaluate(
      async ({ csv, train }) => {
        const call = async (channel: string, request: unknown) => (await fetch(`/api/${channel}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request) })).json()
        return { peek: await call('datasets.peek', { path: csv }), stats: await call('tokens.stats', { trainJsonlPath: train, model: { id: 'localtune/tiny-demo', path: null } }) }
      },
      { csv, train }
    )
    expect(answers.peek).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`path (the CSV file): read from ${csv}`] } })
    expect(answers.stats).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`trainJsonlPath (the training file): read from ${train}`] } })

    // Later specs on this host should not find a remembered folder that is about to be removed.
    await model.navButton.click()
    await page.getByRole('button', { name: `Forget the folder ${outside}` }).click()
    await expect(page.getByRole('button', { name: `Forget the folder ${outside}` })).toHaveCount(0)
  } finally {
    fs.rmSync(outside, { recursive: true, force: true })
  }
})

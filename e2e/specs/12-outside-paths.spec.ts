import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '../fixtures/app'
import { ModelPage } from '../pages/model-page'

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
    await expect(dialog.getByTestId('outside-path-text')).toContainText(`LocalTune will read from ${outside}, outside your folders`)
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByRole('alert')).toContainText(`Not allowed, so nothing was read or written: ${outside}`)
    await expect(remembered).toHaveCount(0)
    await expect(model.card(smol)).toHaveCount(0)

    await model.addFolder.click()
    await dialog.getByRole('button', { name: 'Allow this folder' }).click()
    await expect(page.getByText(`Added ${outside}: 1 model found.`)).toBeVisible()
    await expect(remembered).toBeVisible()
    await expect(model.card(smol)).toBeVisible()

    // The same request from a script in the page, without the user's confirmation: refused.
    const refused = await page.evaluate(async (folder) => {
      const response = await fetch('/api/models.add-folder', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: `${folder}/SmolLM2-135M` }) })
      return response.json()
    }, outside)
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`path: read from ${smol}`] } })

    // Later specs on this host should not find a remembered folder that is about to be removed.
    await remembered.click()
    await expect(remembered).toHaveCount(0)
  } finally {
    fs.rmSync(outside, { recursive: true, force: true })
  }
})

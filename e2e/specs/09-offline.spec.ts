import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeFakeRuntimePack } from '../../tests/helpers/fake-runtime-pack'
import { writeSafetensors } from '../../tests/main/core/models/write-safetensors'
import { expect, screenshotForReadme, test as base } from '../fixtures/app'
import { MachinePage } from '../pages/machine-page'
import { ModelPage } from '../pages/model-page'

/**
 * The offline routes in the app (issue 14): a model carried on a "USB disk" (a temp folder) added
 * on the Model screen, and a runtime pack made for another platform refused by the set-up panel
 * before anything is installed. The host starts with a plain Python without torch as its runtime,
 * as on a machine where none was set up; its Hugging Face cache is an empty temp folder.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const configFixture = path.join(root, 'tests', 'fixtures', 'models', 'meta-llama--Llama-3.2-1B', 'config.json')
const python3 = execFileSync('which', ['python3'], { encoding: 'utf8' }).trim()

const test = base.extend<{ disk: string }>({
  disk: async ({}, use) => {
    const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'localtune-e2e-usb-'))
    await use(disk)
    fs.rmSync(disk, { recursive: true, force: true })
  },
  hfHome: async ({ disk }, use) => use(path.join(disk, 'hf-home'))
})

// No training runtime, and (for the welcome screen's route) a package index where nothing listens,
// with none of this machine's pip settings: the offline route is the one named.
test.use({ hostEnvExtra: { LOCALTUNE_PYTHON: python3, PIP_CONFIG_FILE: '/dev/null', PIP_INDEX_URL: 'http://127.0.0.1:9/simple' } })

/** A model folder as someone would copy it: config, tokenizer, two tensors of weights. */
function writeModelFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true })
  fs.copyFileSync(configFixture, path.join(dir, 'config.json'))
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"version": "1.0", "model": {"type": "BPE", "vocab": {}, "merges": []}}')
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), '{"model_max_length": 128}')
  writeSafetensors(path.join(dir, 'model.safetensors'), { 'model.embed_tokens.weight': ['BF16', [64, 16]], 'model.layers.0.self_attn.q_proj.weight': ['BF16', [16, 16]] })
}

test('the Model screen adds a model from a folder on a disk into the cache, lists it, and packs it again', async ({ app, disk }) => {
  const carried = path.join(disk, 'usb', 'tiny-llama')
  writeModelFolder(carried)
  const model = new ModelPage(app.page)
  await model.navButton.click()
  // A browser tab has no folder picker: the path is typed.
  await expect(app.page.getByRole('button', { name: /folder picker/ })).toHaveCount(0)

  await model.addFromDiskFolder.fill(carried)
  await model.addFromDisk.click()
  await expect(model.addFromDiskMessage).toContainText('has no localtune-model.json naming the model')
  await model.addFromDiskId.fill('acme/tiny-llama')
  await model.addFromDisk.click()
  await expect(model.addFromDiskMessage).toContainText('Added acme/tiny-llama to the Hugging Face cache')
  await expect(model.card('acme/tiny-llama')).toBeVisible()
  await expect(model.parameters('acme/tiny-llama')).toContainText((64 * 16 + 16 * 16).toLocaleString('en-US'))

  const packed = path.join(disk, 'usb2', 'tiny-llama')
  await model.packModelChoice.selectOption('acme/tiny-llama')
  await model.packInto.fill(packed)
  await model.packModel.click()
  await expect(model.packMessage).toContainText(`Packed acme/tiny-llama: 4 files`)
  expect(fs.existsSync(path.join(packed, 'localtune-model.json'))).toBe(true)
  await model.addFromDiskMessage.scrollIntoViewIfNeeded()
  await screenshotForReadme(app.page, '09-offline-model')
})

test('the set-up panel names the offline route and refuses a runtime folder packed for another platform, naming the mismatch', async ({ app, disk }) => {
  const pack = path.join(disk, 'usb', 'localtune-runtime-windows')
  await writeFakeRuntimePack(pack, { runtimeDir: path.join(root, 'python-runtime'), python: python3, platform: 'win_amd64' })
  const machine = new MachinePage(app.page)
  await expect(machine.check('python')).toHaveClass(/check-error/)
  await expect(machine.offlineRoute).toContainText('No package index answered (pip said http://127.0.0.1:9/simple/pip/', { timeout: 30_000 })
  await expect(machine.offlineRoute).toContainText('localtune runtime pack --out DIR')
  await expect(machine.runtimeSetup).toBeVisible()

  await machine.runtimePackFolder.fill(pack)
  await machine.installFromFolder.click()
  await expect(machine.folderInstallProblem).toContainText(`${pack} does not fit this machine; nothing was installed`)
  await expect(machine.folderInstallProblem).toContainText('its platform is win_amd64')
  expect(fs.existsSync(path.join(app.home, 'runtime', 'venv'))).toBe(false)
  await machine.folderInstallProblem.scrollIntoViewIfNeeded()
  await screenshotForReadme(app.page, '09-offline-runtime')
})

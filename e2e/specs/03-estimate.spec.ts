import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from '@playwright/test'
import { expect, screenshotForReadme, test } from '../fixtures/app'
import { DataPage } from '../pages/data-page'
import { ModelPage } from '../pages/model-page'
import { ParametersPage } from '../pages/parameters-page'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const roleplayCsv = path.resolve(root, '..', 'shared', 'data', 'gpteacher-roleplay.csv')
const gpt2Files = path.resolve(root, '..', 'shared', 'data', 'model-configs', 'openai-community--gpt2')

interface SavedProject {
  id: string
  name: string
  datasetId: string | null
  method: string
  settings: { method: string; params: Record<string, unknown> }
  estimate: { verdict: string; peakBytes: number; deviceLabel: string; riskAccepted: boolean; details: Record<string, unknown> } | null
  hardware: Record<string, unknown> | null
}

/** A contract call from the page itself (its cookie is the browser host's session). */
async function callFromPage<T>(page: Page, channel: string, request: unknown): Promise<T> {
  const envelope = await page.evaluate(
    async ({ channel, request }) => {
      const response = await fetch(`/api/${channel}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'same-origin', body: JSON.stringify(request) })
      return (await response.json()) as { ok: boolean; value?: unknown; error?: { message: string } }
    },
    { channel, request }
  )
  if (!envelope.ok) throw new Error(`${channel}: ${envelope.error?.message}`)
  return envelope.value as T
}

// An empty Hugging Face cache for this spec's hosts, so the machine's own downloads do not decide what the lookup finds.
let hfCache = ''
const savedCache = process.env.HF_HUB_CACHE
test.beforeAll(() => {
  hfCache = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-e2e-hf-'))
  process.env.HF_HUB_CACHE = hfCache
})
test.afterAll(() => {
  if (savedCache === undefined) delete process.env.HF_HUB_CACHE
  else process.env.HF_HUB_CACHE = savedCache
  fs.rmSync(hfCache, { recursive: true, force: true })
})

test('CSV → demo model → Auto explained → Manual changes the estimate → verified Create Project, with the CLI printing the same peak', async ({ app }) => {
  const page = app.page
  const data = new DataPage(page)
  const model = new ModelPage(page)
  const parameters = new ParametersPage(page)

  // Data: the real roleplay CSV, its suggested mapping confirmed.
  await data.open()
  await data.bringIn(app.host, roleplayCsv)
  await expect(data.rowCount).toHaveText('3,146 data rows')
  await data.useMapping.click()
  await expect(data.stepStatus).toContainText('The data is ready')
  await data.continueButton.click()
  await expect(page.getByRole('heading', { level: 2, name: 'Model' })).toBeVisible()

  // Model: the built-in demo first, labelled as a demo; search filters the list.
  const demo = model.card('localtune/tiny-demo')
  await expect(demo).toContainText('Demo model')
  await expect(demo).toContainText('not a real language model')
  await expect(demo).toContainText('Built into LocalTune')
  await expect(demo).toContainText('localtune-tiny-demo')
  await expect(demo).toContainText('1,024')
  await model.search.fill('no such model anywhere')
  await expect(demo).toBeHidden()
  await model.search.fill('demo')
  await expect(demo).toBeVisible()
  await model.search.fill('')

  // A Hub id that is not cached: the offline explanation, no download.
  await model.hubIdInput.fill('Qwen/Qwen2.5-0.5B-Instruct')
  await model.findHubId.click()
  await expect(model.hubIdMessage).toContainText('is not in the Hugging Face cache')
  await expect(model.hubIdMessage).toContainText('offline')

  // Add a folder: a GPT-2 folder (config + tokenizer) is listed with what was read from it.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-e2e-models-'))
  const gpt2 = path.join(folder, 'gpt2-local')
  fs.mkdirSync(gpt2)
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(gpt2Files, file), path.join(gpt2, file))
  await model.folderInput.fill(path.join(folder, 'missing'))
  await model.addFolder.click()
  await expect(page.getByRole('alert').filter({ hasText: 'does not exist' })).toBeVisible()
  await model.folderInput.fill(folder)
  await model.addFolder.click()
  const gpt2Card = model.card(gpt2)
  await expect(gpt2Card).toContainText('gpt2 · GPT2LMHeadModel')
  await expect(gpt2Card).toContainText('✓ tokenizer.json')
  await expect(gpt2Card).toContainText(`Your folder: ${gpt2}`)

  // The step stays closed until a model is chosen, and opens the moment one is.
  await expect(parameters.navButton).toBeDisabled()
  await expect(parameters.navButton).toHaveAttribute('title', 'Choose a model on the Model screen first.')
  await model.choose('localtune/tiny-demo')
  await expect(parameters.navButton).toBeEnabled()
  await expect(model.stepStatus).toContainText('Chosen: LocalTune tiny demo')
  await screenshotForReadme(page, '03-model')

  // Parameters: while the token counts are on their way there is no estimate and no Create Project.
  let releaseTokens: () => void = () => {}
  const tokensHeld = new Promise<void>((resolve) => {
    releaseTokens = resolve
  })
  if (app.host === 'browser') {
    await page.route('**/api/tokens.stats', async (route) => {
      await tokensHeld
      await route.continue()
    })
  }
  await model.continueButton.click()
  await expect(page.getByRole('heading', { level: 2, name: 'Parameters & estimate' })).toBeVisible()
  if (app.host === 'browser') {
    await expect(parameters.waiting).toContainText('Counting the tokens')
    await expect(parameters.createProject).toBeDisabled()
    await expect(parameters.createStatus).toContainText('The estimate is not computed yet')
    releaseTokens()
  }

  // Auto: the estimate, the verdict, the time range, and one line of reasons per choice.
  await expect(parameters.auto).toBeChecked()
  await expect(parameters.verdict).toHaveAttribute('data-verdict', 'fits')
  await expect(parameters.autoChoice('method')).toContainText('full')
  await expect(parameters.autoChoice('method')).toContainText('random weights')
  await expect(parameters.autoChoice('max_length')).toContainText(/examples get cut/)
  await expect(parameters.autoChoice('micro_batch_size')).toBeVisible()
  await expect(parameters.autoChoice('learning_rate')).toContainText('0.001')
  await expect(parameters.time).toHaveText(/\d.* – \d/)
  // The loss never holds the whole batch's logits (python-runtime/localtune_runtime/loss.py), so
  // for the demo's byte vocabulary the peak is the blocks' own memory, with no logits term.
  for (const term of ['context', 'weights', 'optimizerState', 'activations', 'workspace', 'allocatorSlack']) await expect(parameters.term(term)).toBeVisible()
  await expect(parameters.tokenStats).toContainText('p95')
  await expect(parameters.tokenStats).toContainText("demo model's byte tokenizer")
  await expect(parameters.histogram).toBeVisible()
  await expect(parameters.truncated).toContainText(/Max length \d+ (cuts \d|cuts no)/)
  await expect(parameters.createProject).toBeEnabled()
  await expect(parameters.projectName).toHaveValue('gpteacher-roleplay')
  await screenshotForReadme(page, '03-estimate')
  const autoPeak = await parameters.peakBytes()
  expect(autoPeak).toBeGreaterThan(0)

  // Manual starts from Auto's values; a shorter max length and another micro batch re-estimate at once.
  await parameters.manual.check()
  const maxLength = parameters.field('Max length (tokens)')
  const microBatch = parameters.field('Micro batch size')
  await expect(maxLength).not.toHaveValue('')
  await maxLength.fill('256')
  await expect.poll(() => parameters.peakBytes()).not.toBe(autoPeak)
  const at256 = await parameters.peakBytes()
  await expect(parameters.truncated).toContainText('Max length 256 cuts')
  await microBatch.fill('0')
  await expect(page.getByText('Micro batch size: enter a whole number of 1 or more ("0" is not).').first()).toBeVisible()
  await expect(parameters.createProject).toBeDisabled()
  await microBatch.fill('2')
  await expect(parameters.verdict).toBeVisible()
  await expect.poll(() => parameters.peakBytes()).not.toBe(at256)
  const shownPeak = await parameters.peakBytes()
  const shownVerdict = await parameters.verdict.getAttribute('data-verdict')
  expect(shownVerdict).toBe('fits')

  // Create Project saves the data, model, parameters and the estimate as shown.
  await parameters.projectName.fill('Roleplay demo')
  await parameters.createProject.click()
  await expect(parameters.created).toContainText('Project Roleplay demo saved')
  await expect(parameters.createProject).toBeDisabled()
  const projects = await callFromPage<SavedProject[]>(page, 'projects.list', {})
  const saved = projects.find((project) => project.name === 'Roleplay demo')
  expect(saved).toBeDefined()
  const project = saved as SavedProject
  expect(project.settings.method).toBe('full')
  expect(project.settings.params).toMatchObject({ max_length: 256, micro_batch_size: 2 })
  expect(project.estimate).toMatchObject({ verdict: 'fits', peakBytes: shownPeak, riskAccepted: false })
  expect(project.hardware).toHaveProperty('cpu')

  // One estimator: the CLI prints the same peak for the same model, data and parameters.
  const params = project.settings.params as { max_length: number; micro_batch_size: number; gradient_accumulation_steps: number; gradient_checkpointing: boolean; packing: boolean; precision: string; epochs: number }
  const args = [
    path.join(root, 'bin', 'localtune.mjs'),
    'estimate',
    '--model',
    'localtune/tiny-demo',
    '--method',
    project.settings.method,
    '--precision',
    params.precision,
    '--max-length',
    String(params.max_length),
    '--micro-batch',
    String(params.micro_batch_size),
    '--grad-accum',
    String(params.gradient_accumulation_steps),
    '--epochs',
    String(params.epochs),
    '--dataset',
    path.join(app.home, 'drafts', project.datasetId as string),
    '--json',
    ...(params.gradient_checkpointing ? ['--checkpointing'] : []),
    ...(params.packing ? ['--packing'] : [])
  ]
  const printed = JSON.parse(execFileSync(process.execPath, args, { cwd: root, env: { ...process.env, LOCALTUNE_HOME: app.home }, encoding: 'utf8' })) as {
    estimate: { devices: Array<{ device: { label: string }; vram: { requiredBytes: number } }> }
  }
  const sameDevice = printed.estimate.devices.find((entry) => entry.device.label === project.estimate?.deviceLabel)
  expect(sameDevice?.vram.requiredBytes).toBe(shownPeak)
  fs.rmSync(folder, { recursive: true, force: true })
})

test.describe('on a machine with an RTX 4090 (a stand-in nvidia-smi)', () => {
  let fakeBin = ''
  const savedPath = process.env.PATH
  const savedPython = process.env.LOCALTUNE_PYTHON
  test.beforeAll(() => {
    fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-e2e-smi-'))
    // The full query answers with the card; the live query (memory only) with 3000 MiB in use, so the panel can show it came from the stream.
    const script = ['#!/bin/sh', 'case "$*" in', '  *memory.used,memory.total*) echo "0, 3000, 24564";;', '  *) echo "0, NVIDIA GeForce RTX 4090, 24564, 1187, 23008, 550.54.14, 8.9, 4";;', 'esac'].join('\n')
    fs.writeFileSync(path.join(fakeBin, 'nvidia-smi'), `${script}\n`, { mode: 0o755 })
    // And a training runtime whose torch has CUDA: with the real (CPU-only) one, LocalTune would
    // rightly plan for the CPU. This stand-in answers only the probe.
    const probe = JSON.stringify({
      python: '3.12.3',
      executable: path.join(fakeBin, 'python'),
      torch: '2.13.0+cu128',
      cuda_available: true,
      cuda_version: '12.8',
      gpus: [{ index: 0, name: 'NVIDIA GeForce RTX 4090', total_memory_bytes: 24564 * 1024 ** 2, free_memory_bytes: 23008 * 1024 ** 2, bf16_supported: true, compute_capability: '8.9' }],
      packages: { transformers: '5.18.0', peft: '0.21.0', bitsandbytes: '0.48.0' },
      error: null
    })
    const python = ['#!/bin/sh', 'case "$*" in', `  *"localtune_runtime probe"*) echo '${probe}';;`, '  *) echo "this stand-in Python only answers the probe" >&2; exit 1;;', 'esac'].join('\n')
    fs.writeFileSync(path.join(fakeBin, 'python'), `${python}\n`, { mode: 0o755 })
    process.env.LOCALTUNE_PYTHON = path.join(fakeBin, 'python')
    process.env.PATH = `${fakeBin}${path.delimiter}${savedPath ?? ''}`
  })
  test.afterAll(() => {
    if (savedPython === undefined) delete process.env.LOCALTUNE_PYTHON
    else process.env.LOCALTUNE_PYTHON = savedPython
    process.env.PATH = savedPath
    fs.rmSync(fakeBin, { recursive: true, force: true })
  })

  test('a 13B model: Auto picks QLoRA; Full does not fit, a suggestion applies in Manual, and only an explicit risk acceptance saves it', async ({ app }) => {
    test.skip(process.platform === 'win32', 'the stand-in nvidia-smi is a shell script')
    const page = app.page
    const data = new DataPage(page)
    const model = new ModelPage(page)
    const parameters = new ParametersPage(page)

    await data.open()
    const sampleCsv = path.join(root, 'resources', 'demo', 'sample-chat.csv')
    await data.bringIn(app.host, sampleCsv)
    await data.useMapping.click()
    await expect(data.stepStatus).toContainText('The data is ready')
    await data.continueButton.click()

    // A model folder with only config.json: no weights, no tokenizer (counts are approximated, and say so).
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-e2e-llama-'))
    const llama = path.join(folder, 'Llama-2-13b-hf')
    fs.mkdirSync(llama)
    fs.copyFileSync(path.resolve(root, '..', 'shared', 'data', 'model-configs', 'meta-llama--Llama-2-13b-hf', 'config.json'), path.join(llama, 'config.json'))
    await model.folderInput.fill(llama)
    await model.addFolder.click()
    await expect(model.card(llama)).toContainText('no tokenizer.json')
    await model.choose(llama)
    await model.continueButton.click()

    await expect(page.getByTestId('machine-line')).toContainText('GPU 0: NVIDIA GeForce RTX 4090')
    await expect(parameters.verdict).toHaveAttribute('data-verdict', 'fits')
    await expect(parameters.autoChoice('method')).toContainText('qlora')
    await expect(parameters.tokenStats).toContainText('Approximate')
    // The live reading (3000 MiB in use), not the snapshot's 1187 MiB.
    await expect(parameters.estimatePanel).toContainText('In use by other programs')
    await expect(parameters.estimatePanel).toContainText('2.93 GiB')

    await parameters.manual.check()
    await parameters.field('Method').selectOption('full')
    await expect(parameters.verdict).toHaveAttribute('data-verdict', 'does-not-fit')
    await expect(parameters.createProject).toBeDisabled()
    await expect(parameters.createStatus).toContainText('may run out of memory')

    // A suggested change, re-estimated, applied with one click.
    const fix = page.getByRole('list', { name: 'Changes that would make it fit' }).getByRole('listitem').filter({ hasText: 'fits' }).first()
    await fix.getByRole('button', { name: /^Apply in Manual/ }).click()
    await expect(parameters.verdict).toHaveAttribute('data-verdict', 'fits')
    await expect(parameters.createProject).toBeEnabled()

    // Back to Full: the risk box opens the gate only for exactly the estimate it was ticked for.
    await parameters.field('Method').selectOption('full')
    await expect(parameters.verdict).toHaveAttribute('data-verdict', 'does-not-fit')
    await parameters.riskAccept.check()
    await expect(parameters.createProject).toBeEnabled()
    await parameters.field('Max length (tokens)').fill('96')
    await expect(parameters.riskAccept).not.toBeChecked()
    await expect(parameters.createProject).toBeDisabled()
    await parameters.riskAccept.check()
    await parameters.projectName.fill('Llama risk accepted')
    await parameters.createProject.click()
    await expect(parameters.created).toContainText('Project Llama risk accepted saved')

    const projects = await callFromPage<SavedProject[]>(page, 'projects.list', {})
    const saved = projects.find((project) => project.name === 'Llama risk accepted')
    expect(saved?.estimate).toMatchObject({ verdict: 'does_not_fit', riskAccepted: true, deviceLabel: 'GPU 0: NVIDIA GeForce RTX 4090' })
    expect(saved?.settings).toMatchObject({ method: 'full', params: { max_length: 96 } })
    expect((saved?.hardware as { gpus: Array<{ name: string }> }).gpus[0]?.name).toBe('NVIDIA GeForce RTX 4090')
    fs.rmSync(folder, { recursive: true, force: true })
  })
})

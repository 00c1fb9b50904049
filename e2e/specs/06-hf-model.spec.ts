import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Papa from 'papaparse'
import { buildTestModel, hfPython, modelConfigs, modelConfigsPresent, testModels, type TestModel } from '../../tests/helpers/model-factory'
import { expect, screenshotForReadme, test as base } from '../fixtures/app'
import { noGpuMessage } from '../../src/shared/hardware/types'
import { DataPage } from '../pages/data-page'
import { MachinePage } from '../pages/machine-page'
import { ModelPage } from '../pages/model-page'
import { ParametersPage } from '../pages/parameters-page'
import { HistoryPage } from '../pages/history-page'
import { ResultsPage } from '../pages/results-page'
import { TrainPage } from '../pages/train-page'

/**
 * A real architecture end to end, on this machine's CPU, with nothing downloaded: random-weight
 * models built at test time from SmolLM2-135M's real config.json with real tokenizer files, put
 * into a Hugging Face cache under a temp HF_HOME that the app is started with.
 */

const roleplayCsv = path.join(modelConfigs, '..', 'gpteacher-roleplay.csv')
const fullSizeId = 'HuggingFaceTB/SmolLM2-135M'
const tinyId = 'localtune-e2e/SmolLM2-2L-64'
const steps = 12
const rows = 40

interface HfModels {
  hfHome: string
  python: string
  fullSize: TestModel
  tiny: TestModel
  csv: string
}

const python = hfPython()

const test = base.extend<object, { hfModels: HfModels }>({
  hfModels: [
    async ({}, use) => {
      if (!python.python) throw new Error('reason' in python ? python.reason : 'no Python for Hugging Face models')
      const hfHome = fs.mkdtempSync(path.join(os.tmpdir(), 'localtune-e2e-hf-'))
      // The catalog's exact count needs the model at its real size; training uses the 2-layer one.
      const fullSize = buildTestModel(python.python, { ...testModels.smolLm2Full, hfHome, repoId: fullSizeId })
      const tiny = buildTestModel(python.python, { ...testModels.smolLm2Tiny, hfHome, repoId: tinyId })
      // The first rows of the real roleplay CSV, as a user would cut a file down to try things.
      const parsed = Papa.parse<string[]>(fs.readFileSync(roleplayCsv, 'utf8'), { skipEmptyLines: true })
      const csv = path.join(hfHome, 'gpteacher-roleplay-40.csv')
      fs.writeFileSync(csv, Papa.unparse(parsed.data.slice(0, rows + 1)))
      await use({ hfHome, python: python.python, fullSize, tiny, csv })
      fs.rmSync(hfHome, { recursive: true, force: true })
    },
    { scope: 'worker' }
  ],
  hfHome: async ({ hfModels }, use) => use(hfModels.hfHome)
})

test.skip(!python.python, `no runtime to build and train Hugging Face models: ${'reason' in python ? python.reason : ''}`)
test.skip(!modelConfigsPresent(), `the real model configs are not at ${modelConfigs} (clone shared/ beside the repository)`)

/** Losses by step, from the run's events.jsonl (the source of truth the chart is drawn from). */
function lossesOf(home: string, runId: string): Map<number, number> {
  const losses = new Map<number, number>()
  for (const line of fs.readFileSync(path.join(home, 'runs', runId, 'events.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue
    const event = JSON.parse(line) as { type: string; step?: number; loss?: number | null }
    if (event.type === 'progress' && typeof event.step === 'number' && typeof event.loss === 'number') losses.set(event.step, event.loss)
  }
  return losses
}

/** Whether this machine has a working nvidia-smi (then the welcome screen lists GPUs instead). */
function nvidiaSmiAnswers(): boolean {
  return spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000 }).status === 0
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length

test('a real architecture from the Hugging Face cache: catalog, chat template, estimate, LoRA on the CPU, stop, resume, results, playground', async ({ app, hfModels }) => {
  test.setTimeout(600_000)
  const page = app.page
  const model = new ModelPage(page)
  const data = new DataPage(page)
  const parameters = new ParametersPage(page)
  const train = new TrainPage(page)

  // Welcome: on a machine without an NVIDIA GPU it says real models train on the CPU too (the doctor's words).
  if (!nvidiaSmiAnswers()) await expect(new MachinePage(page).check('gpus')).toContainText(noGpuMessage)

  // Model: the cache lists both, the real-size one with its exact parameter count from the weights.
  await model.navButton.click()
  expect(hfModels.fullSize.parameters).toBe(134_515_008)
  await expect(model.parameters(fullSizeId)).toHaveText('135M · 134,515,008 (from the weights)')
  await expect(model.cpuNote(fullSizeId)).toContainText('Small enough to train on a CPU too')
  await expect(model.parameters(tinyId)).toContainText(`${hfModels.tiny.parameters.toLocaleString('en-US')} (from the weights)`)
  // The tokenizer was saved by transformers 5: its template is in chat_template.jinja.
  await expect(model.tokenizer(tinyId)).toContainText('✓ chat template')
  await model.card(fullSizeId).scrollIntoViewIfNeeded()
  await screenshotForReadme(page, '07-hf-model')
  await model.choose(tinyId)
  await expect(model.stepStatus).toContainText(tinyId)

  // Data: the CSV, the suggested mapping, and the model's own chat template (read from chat_template.jinja).
  await data.open()
  await data.bringIn(app.host, hfModels.csv)
  await expect(data.rowCount).toHaveText(`${rows} data rows`)
  await data.useMapping.click()
  await data.useModelChatTemplate()
  await data.previewRow(1)
  await expect(data.formattedExample).toContainText('<|user|>')
  await expect(data.formattedExample).toContainText('<|assistant|>')
  await expect(data.stepStatus).toContainText('The data is ready')
  await data.continueButton.click()
  await model.continueButton.click()

  // Parameters: no NVIDIA GPU here, and the real model trains on the CPU anyway, with the time and a note.
  await expect(page.getByRole('heading', { name: 'Parameters & estimate', level: 2 })).toBeVisible()
  await expect(parameters.verdict).toBeVisible({ timeout: 60_000 })
  await expect(parameters.time).toHaveText(/\d/)
  await expect(parameters.cpuNote).toContainText('this run trains on the CPU, in fp32')
  await expect(parameters.autoChoice('method')).toContainText('lora')
  await parameters.manual.check()
  await parameters.field('Stop after steps').fill(String(steps))
  await parameters.field('Max length (tokens)').fill('384')
  await parameters.field('Micro batch size').fill('2')
  // Random weights learn the data's tokens quickly only with a high rate: the curve must visibly fall in a dozen steps.
  await parameters.field('Learning rate').fill('0.01')
  await parameters.field('Save a checkpoint every (steps)').fill('4')
  await expect(parameters.cannotTrain).toHaveCount(0)
  await parameters.merge.check()
  await parameters.projectName.fill('SmolLM2 roleplay')
  await expect(parameters.createAndTrain).toBeEnabled()
  await parameters.createAndTrain.click()

  // Train: the live curve, a stop with a checkpoint, and a resume that continues the same curve.
  await expect(page.getByRole('heading', { name: 'Train', level: 2 })).toBeVisible()
  const runId = ((await train.runId.textContent()) ?? '').trim()
  await train.waitForPoints(3, 180_000)
  await train.stop.click()
  await train.waitForStatus('stopped', 120_000)
  const stoppedAt = await train.lastStep()
  expect(stoppedAt).toBeGreaterThanOrEqual(3)
  await expect(train.lastCheckpoint).toHaveAttribute('data-step', String(stoppedAt))
  await train.resume.click()
  await train.waitForStatus(/running|queued/)
  await train.waitForPoints(stoppedAt + 1, 180_000)
  expect(await train.lastStep()).toBeGreaterThan(stoppedAt)
  await train.waitForStatus('completed', 300_000)
  expect(await train.points()).toBe(steps)
  await expect(train.finalLoss).toHaveText(/^\d+\.\d{4}$/)
  const losses = lossesOf(app.home, runId)
  expect([...losses.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: steps }, (_, i) => i + 1))
  const first = mean([1, 2, 3].map((step) => losses.get(step) as number))
  const last = mean([steps - 2, steps - 1, steps].map((step) => losses.get(step) as number))
  expect(last, `the loss should fall: first three steps ${first.toFixed(3)}, last three ${last.toFixed(3)}`).toBeLessThan(first - 0.2)
  await page.evaluate(() => window.scrollTo(0, 0))
  await screenshotForReadme(page, '08-hf-train')

  // History: the run's measured peak (process memory on the CPU) and step time against the estimate it started with.
  const history = new HistoryPage(page)
  await history.open()
  const estimateError = history.run(runId).getByTestId('estimate-error')
  await expect(estimateError).toHaveText(/^peak [+−±]\d+ % · step [+−±]\d+ %/)
  await expect(estimateError).toHaveAttribute('title', /^Estimated peak .+, measured .+ \(process memory\); estimated [\d.]+–[\d.]+ s per step; measured [\d.]+ s per step; estimate only$/)
  await history.run(runId).getByRole('button', { name: `Open run ${runId} on Train` }).click()

  // Results: the adapter and the merged model, and a playground answer unlike the base model's.
  const results = new ResultsPage(page)
  await train.seeResults.click()
  await expect(results.outputDir).toContainText(runId)
  await expect(results.files).toContainText('adapter_model.safetensors')
  await expect(results.files).toContainText('merged/model.safetensors')
  // The run was formatted with the model's chat template, so the playground asks for the fields and formats them the same way.
  await results.instruction.fill('Imagine you are a ship captain in a storm. Describe what you tell your crew.')
  const answers = await results.askBoth(180_000)
  expect(answers.tuned.trim()).not.toBe(answers.base.trim())
  await page.getByRole('region', { name: /^Use it/ }).evaluate((panel) => panel.scrollIntoView({ block: 'start' }))
  await screenshotForReadme(page, '09-hf-results')

  // What it saved loads where the ecosystem loads it: the adapter with peft, the merged model with transformers alone.
  const finalDir = path.join(app.home, 'runs', runId, 'final')
  const snapshot = hfModels.tiny.snapshot as string
  const check = [
    'import sys, torch',
    'from transformers import AutoModelForCausalLM',
    'from peft import PeftModel',
    'base_dir, final_dir = sys.argv[1], sys.argv[2]',
    'ids = torch.tensor([[1, 450, 4996, 17354, 1701, 29916]])',
    'adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_dir), final_dir).eval()',
    'merged = AutoModelForCausalLM.from_pretrained(final_dir + "/merged").eval()',
    'with torch.no_grad():',
    '    a, m = adapted(ids).logits, merged(ids).logits',
    'assert torch.allclose(a, m, atol=1e-3), float((a - m).abs().max())',
    'print("loaded", type(adapted).__name__, type(merged).__name__)'
  ].join('\n')
  const loaded = spawnSync(hfModels.python, ['-c', check, snapshot, finalDir], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, HF_HUB_OFFLINE: '1' } })
  expect(loaded.status, loaded.stderr.slice(-2000)).toBe(0)
  expect(loaded.stdout).toContain('loaded PeftModelForCausalLM LlamaForCausalLM')
})

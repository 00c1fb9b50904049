import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, screenshotForReadme, test } from '../fixtures/app'
import { HistoryPage } from '../pages/history-page'
import { ResultsPage } from '../pages/results-page'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const builder = path.join(root, 'python-runtime', 'tests', 'test_export_models.py')
const venvPython = path.join(root, 'python-runtime', '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
const python = process.env.LOCALTUNE_PYTHON ?? venvPython
const tokenizers = path.resolve(root, '..', 'shared', 'data', 'model-configs', 'microsoft--Phi-3-mini-4k-instruct', 'tokenizer.json')

/** Why the spec cannot run here (no Python with transformers, peft and gguf; no shared tokenizer files), or null. */
function missing(): string | null {
  if (!fs.existsSync(tokenizers)) return `the shared tokenizer files are missing (${tokenizers})`
  const probe = spawnSync(python, ['-c', 'import transformers, peft, gguf'], { encoding: 'utf8', timeout: 120_000 })
  return probe.status === 0 ? null : `${python} lacks transformers, peft or gguf (npm run runtime:setup -- --cpu --with-tests)`
}

function localtune(home: string, args: string[]): string {
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'localtune.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, LOCALTUNE_HOME: home, LOCALTUNE_PYTHON: python },
    encoding: 'utf8',
    timeout: 600_000
  })
  if (result.status !== 0) throw new Error(`localtune ${args[0]} failed (${result.status}):\n${result.stderr.slice(-3000)}`)
  return result.stdout
}

/**
 * A run trained the way a person does it in a terminal (CSV → `localtune format` → `localtune
 * train` on a small random-weight Llama with Phi-3's real tokenizer), then exported from the
 * Results screen: the size is shown first, the progress while it goes, and the verdict of
 * llama.cpp loading the file; the playground then answers with the GGUF file.
 */
test('export a trained run to GGUF from the Results screen and see it verified in llama.cpp', async ({ app }) => {
  const reason = missing()
  test.skip(reason !== null, reason ?? '')
  test.setTimeout(900_000)

  const work = fs.mkdtempSync(path.join(app.home, 'export-spec-'))
  const built = spawnSync(python, [builder, '--shape', 'llama', '--base-dir', path.join(work, 'base-llama')], { encoding: 'utf8', timeout: 300_000 })
  expect(built.status, built.stderr.slice(-2000)).toBe(0)
  const modelDir = (JSON.parse(built.stdout.trim().split('\n').at(-1) ?? '{}') as { model_dir: string }).model_dir
  const colours = ['red', 'blue', 'green', 'gold', 'gray', 'pink', 'teal', 'plum']
  const rows = Array.from({ length: 16 }, (_, i) => `"What colour is item ${i}?","Item ${i} is ${colours[i % colours.length]}."`)
  fs.writeFileSync(path.join(work, 'colours.csv'), `question,answer\n${rows.join('\n')}\n`)
  localtune(app.home, ['format', path.join(work, 'colours.csv'), '--mode', 'chat', '--map', 'prompt=question,response=answer', '--out', path.join(work, 'data')])
  const params = ['max_steps=40', 'learning_rate=0.01', 'micro_batch_size=8', 'max_length=128', 'warmup_steps=2', 'lora.r=8', 'lora.alpha=16', 'lora.dropout=0']
  localtune(app.home, ['train', '--data', path.join(work, 'data'), '--model', modelDir, '--method', 'lora', '--cpu', ...params.flatMap((param) => ['--set', param])])
  const runs = JSON.parse(localtune(app.home, ['runs', '--json'])) as Array<{ id: string; status: string }>
  const run = runs.find((candidate) => candidate.status === 'completed')!
  expect(run, JSON.stringify(runs)).toBeTruthy()

  // The run is in History; its results open on the Results screen.
  const page = app.page
  await page.reload()
  const history = new HistoryPage(page)
  await history.open()
  await history.run(run.id).getByRole('button', { name: `Open results of run ${run.id}` }).click()
  const results = new ResultsPage(page)
  await expect(results.outputDir).toBeVisible()

  // Export GGUF f16: size first, then progress, then llama.cpp's verdict.
  await results.exportPanel().scrollIntoViewIfNeeded()
  const record = await results.exportAs('gguf', 'f16')
  await expect(record.getByTestId('export-verification')).toHaveText(/^verified in llama\.cpp \(node-llama-cpp [\d.]+\): same answer as the trained model/)
  await expect(record.getByText('verified', { exact: true })).toBeVisible()
  const ollama = record.getByTestId('ollama-commands')
  await expect(ollama).toContainText(`ollama create localtune-${run.id.toLowerCase()} -f Modelfile`)
  await record.locator('summary', { hasText: 'Modelfile' }).click()
  const modelfile = record.getByTestId('modelfile')
  await expect(modelfile).toContainText(`FROM ./localtune-${run.id.toLowerCase()}-f16.gguf`)
  await expect(modelfile).toContainText('TEMPLATE """{{ .System }}\n### Instruction: {{ .Prompt }}\n### Response:{{ .Response }}"""')
  await expect(modelfile).toContainText('PARAMETER stop "</s>"')
  await record.locator('summary', { hasText: 'What was compared' }).click()
  await expect(record.getByText(/✓ the Ollama template: Renders the \d reference prompts character for character\./)).toBeVisible()
  await expect(record.getByText(/✓ the GGUF file's chat template: Renders/)).toBeVisible()
  const expected = (await record.getByRole('table', { name: 'Reference prompts' }).locator('tbody tr').first().locator('td').nth(3).textContent()) ?? ''
  expect(expected.trim().length).toBeGreaterThan(0)
  await screenshotForReadme(page, '08-export')

  // The playground answers the first training question with the GGUF file in llama.cpp: the
  // same greedy answer the check compared.
  await page.getByTestId('answer-gguf').scrollIntoViewIfNeeded()
  expect(await results.askExport()).toBe(expected)

  // The run's settings as an AutoTrain Advanced config, beside the texts it trained on.
  await results.exportPanel().getByRole('button', { name: 'Save settings as an AutoTrain config' }).click()
  await results.exportPanel().locator('summary', { hasText: 'config.yml' }).click()
  await expect(page.getByTestId('autotrain-yaml')).toContainText('task: llm-sft')
  await expect(page.getByTestId('autotrain-yaml')).toContainText(`base_model: ${modelDir}`)

  // The export is remembered: a new start of the host shows it again.
  await app.restart()
  const again = new HistoryPage(app.page)
  await again.open()
  await again.run(run.id).getByRole('button', { name: `Open results of run ${run.id}` }).click()
  await expect(new ResultsPage(app.page).exportRecord('gguf-f16').getByTestId('export-verification')).toContainText('same answer as the trained model')
})

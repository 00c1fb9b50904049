import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Papa from 'papaparse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/main/cli/main'
import type { ModelCatalog } from '../../../src/main/core/models/model-catalog'
import { buildTestModel, hfPython, modelConfigs, modelConfigsPresent, testModels, type TestModel } from '../../helpers/model-factory'
import { collectingIo, makeTempHome } from '../../helpers/temp-home'
import { readEventsFile } from '../../helpers/training-home'
import { pathWithoutNvidiaSmi } from '../core/hardware/fake-nvidia-smi'

/**
 * The CLI end to end with real architectures on the CPU, nothing downloaded: models built at
 * test time from SmolLM2-135M's real config.json and Phi-3's tokenizer files, in a Hugging Face
 * cache under a temp HF_HOME. Full finetuning here (the app's e2e spec walks LoRA).
 */

const python = hfPython()
const tinyId = 'localtune-cli/SmolLM2-2L-64'
const fullSizeId = 'HuggingFaceTB/SmolLM2-135M'
const steps = 10

describe.skipIf(!python.python || !modelConfigsPresent())('localtune with a real architecture from the Hugging Face cache', () => {
  let temp: { home: string; cleanup(): void }
  let env: NodeJS.ProcessEnv
  let tiny: TestModel
  let fullSize: TestModel
  let dataDir: string

  beforeAll(async () => {
    temp = makeTempHome()
    const hfHome = path.join(temp.home, 'hf')
    tiny = buildTestModel(python.python as string, { ...testModels.smolLm2Tiny, hfHome, repoId: tinyId })
    fullSize = buildTestModel(python.python as string, { ...testModels.smolLm2Full, hfHome, repoId: fullSizeId })
    env = { ...process.env, LOCALTUNE_HOME: temp.home, LOCALTUNE_PYTHON: python.python as string, HF_HOME: hfHome }
    // The first 40 rows of the real roleplay CSV, formatted with the model's own chat template
    // (read from chat_template.jinja) and no validation set (0 %, the app's "None").
    const rows = Papa.parse<string[]>(fs.readFileSync(path.join(modelConfigs, '..', 'gpteacher-roleplay.csv'), 'utf8'), { skipEmptyLines: true }).data
    const csv = path.join(temp.home, 'roleplay-40.csv')
    fs.writeFileSync(csv, Papa.unparse(rows.slice(0, 41)))
    dataDir = path.join(temp.home, 'data')
    const format = collectingIo()
    expect(await runCli(['format', csv, '--out', dataDir, '--chat-template', tiny.snapshot as string, '--valid-percent', '0'], format.io, { env, home: temp.home })).toBe(0)
    expect(format.out.join('\n')).toContain("Mode chat (the model's chat template)")
    expect(format.out.join('\n')).toContain('Validation: none')
  }, 300_000)
  afterAll(() => temp?.cleanup())

  it('lists the cached models with their exact parameter counts, as trainable on the CPU', async () => {
    const { io, out } = collectingIo()
    expect(await runCli(['models', '--json'], io, { env, home: temp.home })).toBe(0)
    const catalog = JSON.parse(out.join('\n')) as ModelCatalog
    expect(catalog.models.find((entry) => entry.id === fullSizeId)).toMatchObject({ parameters: { total: 134_515_008, source: 'safetensors' }, hasChatTemplate: true, cpuCapable: true })
    expect(catalog.models.find((entry) => entry.id === tinyId)).toMatchObject({ parameters: { total: tiny.parameters, source: 'safetensors' }, hasChatTemplate: true })
    expect(fullSize.parameters).toBe(134_515_008)
  })

  it('estimates full finetuning on a machine without a GPU: a verdict, a time, and the CPU note', async () => {
    const bare = pathWithoutNvidiaSmi()
    try {
      const { io, out } = collectingIo()
      expect(await runCli(['estimate', '--model', tinyId, '--method', 'full', '--max-length', '384', '--micro-batch', '2', '--dataset', dataDir], io, { env: { ...env, PATH: bare.env.PATH }, home: temp.home })).toBe(0)
      const text = out.join('\n')
      expect(text).toMatch(/Verdict: FITS — Fits on CPU: /)
      expect(text).toMatch(/Time: \S+ – \S+ \(\d+ optimizer steps; /)
      expect(text).toContain('Note: No NVIDIA GPU in use: this run trains on the CPU, in fp32. That works for a model of')
    } finally {
      bare.cleanup()
    }
  })

  it('full finetuning: trains with a falling loss, stops with a checkpoint, resumes the same curve, shows the prompt format, and answers unlike the base model', async () => {
    const runsDir = path.join(temp.home, 'runs')
    const before = fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []
    const newRun = () => fs.readdirSync(runsDir).find((id) => !before.includes(id))
    // Ctrl+C once a few steps are in: the run finishes its step, saves, and stops.
    const interrupted = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const id = fs.existsSync(runsDir) ? newRun() : undefined
        if (id && readEventsFile(path.join(runsDir, id)).filter((event) => event.type === 'progress').length >= 3) {
          clearInterval(timer)
          resolve()
        }
      }, 200)
    })
    const first = collectingIo()
    const args = ['train', '--data', dataDir, '--model', tinyId, '--method', 'full', '--set', `max_steps=${steps}`, '--set', 'learning_rate=5e-3', '--set', 'max_length=384', '--set', 'micro_batch_size=2', '--set', 'save_every_steps=2', '--cpu']
    expect(await runCli(args, first.io, { env, home: temp.home, interrupted })).toBe(0)
    const runId = newRun() as string
    const stopped = first.out.join('\n')
    expect(stopped).toMatch(new RegExp(`Run ${runId}: stopped at step \\d+/${steps}`))
    expect(first.err.join('\n')).toContain(`training ${tinyId} (full, chat) on cpu in fp32`)
    const stoppedAt = Number(/stopped at step (\d+)/.exec(stopped)?.[1])

    const resumed = collectingIo()
    expect(await runCli(['resume', runId], resumed.io, { env, home: temp.home })).toBe(0)
    expect(resumed.out.join('\n')).toContain(`Run ${runId}: completed at step ${steps}/${steps}`)

    // One curve across both attempts: every step once (repeated steps replace their points), falling.
    const progress = readEventsFile(path.join(runsDir, runId)).filter((event) => event.type === 'progress') as unknown as Array<{ step: number; loss: number }>
    const byStep = new Map(progress.map((event) => [event.step, event.loss]))
    expect([...byStep.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: steps }, (_, i) => i + 1))
    expect(progress.some((event) => event.step > stoppedAt)).toBe(true)
    const early = ((byStep.get(1) as number) + (byStep.get(2) as number)) / 2
    const late = ((byStep.get(steps - 1) as number) + (byStep.get(steps) as number)) / 2
    expect(late, `loss by step: ${JSON.stringify([...byStep])}`).toBeLessThan(early - 0.3)

    const shown = collectingIo()
    expect(await runCli(['runs', 'show', runId], shown.io, { env, home: temp.home })).toBe(0)
    expect(shown.out.join('\n')).toContain('    | <|user|>')
    expect(shown.out.join('\n')).toContain('    | <|assistant|>')

    const answered = collectingIo()
    const instruction = 'Imagine you are a lighthouse keeper. Describe the night of the great storm.'
    expect(await runCli(['generate', runId, '--instruction', instruction, '--compare', '--temperature', '0', '--max-new-tokens', '24'], answered.io, { env, home: temp.home })).toBe(0)
    const [, tuned = '', base = ''] = answered.out.join('\n').split(/^--- (?:finetuned|base) model.*$/m)
    expect(tuned.trim().length, answered.out.join('\n')).toBeGreaterThan(0)
    expect(tuned.trim()).not.toBe(base.trim())

    // final/ is a whole model: transformers loads it alone, with the tokenizer and its chat template.
    const final = path.join(runsDir, runId, 'final')
    const check = 'import sys\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\nm = AutoModelForCausalLM.from_pretrained(sys.argv[1])\nt = AutoTokenizer.from_pretrained(sys.argv[1])\nprint(m.num_parameters(), t.chat_template is not None)'
    const loaded = spawnSync(python.python as string, ['-c', check, final], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HF_HUB_OFFLINE: '1' } })
    expect(loaded.status, loaded.stderr.slice(-2000)).toBe(0)
    expect(loaded.stdout.trim()).toBe(`${tiny.parameters} True`)
    expect(fs.readFileSync(path.join(final, 'README.md'), 'utf8')).toContain(`- Parameters: ${tiny.parameters.toLocaleString('en-US')} (all trained)`)
  }, 600_000)

  it('trains LoRA at the real SmolLM2-135M size for a few steps on the CPU', async () => {
    const { io, out } = collectingIo()
    const args = ['train', '--data', dataDir, '--model', fullSizeId, '--method', 'lora', '--set', 'max_steps=2', '--set', 'max_length=256', '--set', 'micro_batch_size=1', '--cpu']
    expect(await runCli(args, io, { env, home: temp.home })).toBe(0)
    expect(out.join('\n')).toMatch(/completed at step 2\/2/)
    const runId = /Run (\S+): completed/.exec(out.join('\n'))?.[1] as string
    const card = fs.readFileSync(path.join(temp.home, 'runs', runId, 'final', 'README.md'), 'utf8')
    // The model card counts the base as the catalog does, and the adapter apart.
    expect(card).toContain('- Parameters: 134,515,008 in the base model (frozen); ')
  }, 600_000)
})

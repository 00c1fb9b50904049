import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExportRecord } from '../../../../src/shared/contract/exports'
import { defaultPromptStartWithContext, formatChatFields } from '../../../../src/shared/dataset/training-format'
import { runCli } from '../../../../src/main/cli/main'
import { renderGoTemplate } from '../../../../src/main/core/exports/go-template'
import { cliContext, collectingIo } from '../../../helpers/temp-home'
import { makeTrainingHome, testPython, type TrainingHome } from '../../../helpers/training-home'

/**
 * The whole chain on small trained models of the Llama and Qwen2 shapes (random weights, real
 * tokenizer files): the app trains a LoRA adapter on examples made by the shared formatter,
 * exports GGUF f16 and q8_0 through the runtime, and llama.cpp (node-llama-cpp) loads each file:
 * the prompt's ids must equal transformers', the greedy answer must be transformers' token for
 * token (f16) or agree as stated (q8_0), and the Modelfile's template must write the formatter's
 * prompt. The figures are printed for docs/exports.md.
 */

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..', '..')
const builder = path.join(repoRoot, 'python-runtime', 'tests', 'test_export_models.py')
const modelConfigs = path.resolve(repoRoot, '..', 'shared', 'data', 'model-configs')

function unavailable(): string | null {
  if (!fs.existsSync(path.join(modelConfigs, 'microsoft--Phi-3-mini-4k-instruct', 'tokenizer.json'))) return `the shared tokenizer files are not in ${modelConfigs}`
  const probe = spawnSync(testPython, ['-c', 'import transformers, peft, gguf, safetensors'], { encoding: 'utf8', timeout: 120_000 })
  if (probe.status !== 0) return `${testPython} lacks transformers, peft or gguf (npm run runtime:setup -- --cpu --with-tests)`
  return null
}

const skipReason = unavailable()
if (skipReason) console.warn(`GGUF export tests skipped: ${skipReason}`)

const colours = ['red', 'blue', 'green', 'gold', 'gray', 'pink', 'teal', 'plum']

/** Training examples written by the shared formatter, exactly as the app writes train.jsonl. */
function writeTrainJsonl(file: string): void {
  const lines = Array.from({ length: 16 }, (_, i) => {
    const example = formatChatFields({ prompt: `What colour is item ${i}?`, response: `Item ${i} is ${colours[i % colours.length]}.` })
    return JSON.stringify({ prompt: example.prompt, response: example.response, row: i + 1 })
  })
  fs.writeFileSync(file, `${lines.join('\n')}\n`)
}

/** TEMPLATE and SYSTEM of a Modelfile, as Ollama's parser reads triple-quoted values. */
function modelfileValue(modelfile: string, keyword: string): string | null {
  const match = new RegExp(`^${keyword} """([\\s\\S]*?)"""$`, 'm').exec(modelfile)
  return match ? (match[1] ?? '') : null
}

async function trainedRun(home: TrainingHome, shape: 'llama' | 'qwen2'): Promise<string> {
  const built = spawnSync(testPython, [builder, '--shape', shape, '--base-dir', path.join(home.home, `base-${shape}`)], { encoding: 'utf8', timeout: 300_000 })
  if (built.status !== 0) throw new Error(`building the ${shape} model failed: ${built.stderr.slice(-2000)}`)
  const modelDir = (JSON.parse(built.stdout.trim().split('\n').at(-1) ?? '{}') as { model_dir: string }).model_dir
  const trainJsonl = path.join(home.home, `train-${shape}.jsonl`)
  writeTrainJsonl(trainJsonl)
  const run = await home.core.runs.startRun({
    settings: {
      model: { id: `local/tiny-${shape}`, path: modelDir },
      method: 'lora',
      mode: 'chat',
      params: { max_length: 128, micro_batch_size: 8, max_steps: 40, learning_rate: 1e-2, warmup_steps: 2, save_every_steps: 40, eval_every_steps: 40, seed: 1, lora: { r: 8, alpha: 16, dropout: 0 } }
    },
    trainJsonl,
    device: { kind: 'cpu' }
  })
  const finished = await home.core.runs.waitForRun(run.id, { timeoutMs: 600_000 })
  if (finished.status !== 'completed') throw new Error(`training ${shape} ended ${finished.status}: ${home.core.runs.outputTail(run.id, 4000).data}`)
  return run.id
}

describe.skipIf(skipReason !== null).each(['llama', 'qwen2'] as const)('GGUF export of a trained %s model, loaded in llama.cpp', (shape) => {
  let home: TrainingHome
  let runId: string
  const records: Partial<Record<'f16' | 'q8_0', ExportRecord>> = {}

  beforeAll(async () => {
    home = makeTrainingHome()
    runId = await trainedRun(home, shape)
  }, 900_000)

  afterAll(() => home?.cleanup())

  it('f16: the plan estimates the size and the file answers exactly like the trained model', async () => {
    const plan = await home.core.handlers['exports.plan']({ runId, options: { format: 'gguf', quant: 'f16', ollama: true } })
    expect(plan.refusal).toBeNull()
    expect(plan.enoughSpace).toBe(true)
    expect(plan.freeBytes).toBeGreaterThan(0)
    const record = await home.core.handlers['exports.start']({ runId, options: { format: 'gguf', quant: 'f16', ollama: true } })
    records.f16 = record
    const gguf = record.files.find((file) => file.path.endsWith('.gguf'))!
    // The estimate is made before anything is written; it must be close to what was written.
    expect(Math.abs(plan.estimatedBytes - gguf.bytes) / gguf.bytes).toBeLessThan(0.02)
    expect(record.verification.tool).toMatch(/^llama\.cpp \(node-llama-cpp \d/)
    expect(record.verification.prompts.length).toBeGreaterThanOrEqual(1)
    for (const prompt of record.verification.prompts) {
      expect(prompt.tokensMatch, `prompt ids of ${JSON.stringify(prompt.prompt)}`).toBe(true)
      expect(prompt.firstDifference, `answer to ${JSON.stringify(prompt.prompt)}: ${prompt.expectedText} vs ${prompt.actualText}`).toBeNull()
      expect(prompt.actualText).toBe(prompt.expectedText)
    }
    expect(record.verification.status).toBe('same')
    expect(record.verification.tokenAgreement).toBe(1)
    expect(record.verification.summary).toMatch(/^verified in llama\.cpp .*: same answer as the trained model/)
    expect(record.verification.templates.map((check) => [check.name, check.matches])).toEqual([
      ['the Ollama template', true],
      ["the GGUF file's chat template", true]
    ])
    expect(fs.existsSync(path.join(record.outDir, 'Modelfile'))).toBe(true)
    expect(home.pushes.some((push) => push.name === 'exports.progress' && (push.payload as { stage: string }).stage === 'write')).toBe(true)
    console.info(`[${shape}] f16: ${gguf.bytes} bytes, ${record.verification.summary}`)
  }, 600_000)

  it("q8_0: the file's answers agree with the trained model's as stated", async () => {
    const record = await home.core.handlers['exports.start']({ runId, options: { format: 'gguf', quant: 'q8_0', ollama: true } })
    records.q8_0 = record
    for (const prompt of record.verification.prompts) expect(prompt.tokensMatch).toBe(true)
    // Stated for q8_0: the same tokenizer, at least 90 % of answer tokens in order, and any
    // difference only where the trained model's two best tokens were within 0.75 logits.
    expect(['same', 'close']).toContain(record.verification.status)
    expect(record.verification.tokenAgreement).toBeGreaterThanOrEqual(0.9)
    const gguf = record.files.find((file) => file.path.endsWith('.gguf'))!
    expect(gguf.bytes).toBeLessThan(records.f16!.files.find((file) => file.path.endsWith('.gguf'))!.bytes)
    console.info(`[${shape}] q8_0: ${gguf.bytes} bytes, agreement ${(record.verification.tokenAgreement * 100).toFixed(1)} %, ${record.verification.summary}`)
  }, 600_000)

  it("the Modelfile's template writes the shared formatter's prompt, with and without an input", () => {
    const modelfile = records.f16!.modelfile!
    const template = modelfileValue(modelfile, 'TEMPLATE')!
    const system = modelfileValue(modelfile, 'SYSTEM')!
    expect(modelfile).toMatch(new RegExp(`^FROM \\./localtune-.*-f16\\.gguf$`, 'm'))
    expect(modelfile).toContain('PARAMETER stop "### Instruction:"')
    expect(modelfile).toContain(`PARAMETER stop "${shape === 'llama' ? '</s>' : '<|endoftext|>'}"`)
    const plain = formatChatFields({ prompt: 'Name a colour that is not in the list.', response: 'x' })
    expect(renderGoTemplate(template, { System: system, Prompt: 'Name a colour that is not in the list.', Response: '' })).toBe(plain.prompt)
    // Ollama has one prompt field: an input goes into it after the instruction, as in training.
    const withInput = formatChatFields({ prompt: 'Translate it.', context: 'rouge', response: 'x' })
    expect(renderGoTemplate(template, { System: defaultPromptStartWithContext, Prompt: 'Translate it.\n### Input: rouge', Response: '' })).toBe(withInput.prompt)
    if (shape === 'llama') console.info(`[llama] Modelfile:\n${modelfile}`)
  })

  it('the playground answers with the GGUF export through llama.cpp, as the check did', async () => {
    const first = records.f16!.verification.prompts[0]!
    const instruction = /### Instruction: (.*)\n/.exec(first.prompt)![1]!
    const answer = await home.core.handlers['exports.generate']({ runId, exportId: 'gguf-f16', input: { kind: 'fields', instruction, context: '' }, maxNewTokens: 24, temperature: 0 })
    expect(answer.text).toBe(first.expectedText)
    expect(answer.stop).toBe('end')
    const streamed = home.pushes
      .filter((push) => push.name === 'playground.output' && (push.payload as { requestId: string }).requestId === answer.requestId)
      .map((push) => (push.payload as { text: string }).text)
      .join('')
    expect(streamed).toBe(answer.text)
  }, 120_000)

  it('localtune export prints the verification and the Ollama line', async () => {
    if (shape !== 'qwen2') return
    const { io, out, err } = collectingIo()
    const outDir = path.join(home.home, 'cli-export')
    const code = await runCli(['export', runId, '--format', 'gguf', '--quant', 'f16', '--out', outDir], io, cliContext(home.env, home.home, home.home))
    expect(code, err.join('\n')).toBe(0)
    expect(err.join('\n')).toMatch(/Export gguf f16 of run .* to .*cli-export: about [\d.]+ MiB \([\d.]+ (GiB|TiB) free\)/)
    const text = out.join('\n')
    expect(text).toMatch(/^verified in llama\.cpp .*: same answer as the trained model/)
    expect(text).toContain(`ollama create localtune-${runId.toLowerCase()} -f Modelfile`)
    expect(fs.existsSync(path.join(outDir, 'Modelfile'))).toBe(true)
  }, 600_000)
})

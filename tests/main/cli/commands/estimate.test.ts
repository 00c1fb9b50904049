import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { estimateCommand } from '../../../../src/main/cli/commands/estimate'
import { UsageError } from '../../../../src/main/cli/command'
import type { TrainingEstimate } from '../../../../src/shared/estimator/estimate-training'
import { cliContext, collectingIo } from '../../../helpers/temp-home'
import { fakeNvidiaSmi, pathWithoutNvidiaSmi } from '../../core/hardware/fake-nvidia-smi'
import { noGpuMessage } from '../../../../src/shared/hardware/types'

const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures/models')
const gpt2Tokenizer = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../../shared/data/model-configs/openai-community--gpt2/tokenizer.json')
let root: string
let modelDir: string
const cleanups: Array<() => void> = []
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-cli-estimate-'))
  modelDir = path.join(root, 'Llama-3.2-1B')
  fs.mkdirSync(modelDir)
  fs.copyFileSync(path.join(fixtures, 'meta-llama--Llama-3.2-1B', 'config.json'), path.join(modelDir, 'config.json'))
})
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true })
  while (cleanups.length > 0) cleanups.pop()?.()
})

function context(env: NodeJS.ProcessEnv = { ...process.env, HF_HUB_CACHE: path.join(root, 'hub') }) {
  return cliContext(env, root, path.join(root, 'home'))
}

describe('localtune estimate', () => {
  it('prints the breakdown, the verdict and what would make it fit, for a named GPU', async () => {
    const { out, err, io } = collectingIo()
    const code = await estimateCommand.run(['--model', modelDir, '--method', 'lora', '--max-length', '2048', '--micro-batch', '8', '--gpu', 'RTX 4090', '--lora-r', '16'], io, context())
    expect(code).toBe(0)
    expect(err).toEqual([])
    const text = out.join('\n')
    expect(text).toContain(`Model    ${modelDir} — 1.24B parameters (from config.json)`)
    expect(text).toContain('Config   LoRA r=16 α=32 on all-linear · auto · max length 2048 · micro batch 8 × accumulation 1')
    expect(text).toMatch(/RTX 4090 — 23\.99 GiB available/)
    for (const label of ['CUDA context and kernels', 'Model weights', 'LoRA adapters', 'Optimizer state', 'Activations', 'Logits and loss', 'Allocator slack', 'Peak (nvidia-smi view)']) expect(text).toContain(label)
    expect(text).toMatch(/Verdict: DOES NOT FIT — Does not fit on RTX 4090/)
    expect(text).toMatch(/To make it fit:\n    - \[fits, [\d.]+ GiB\] /)
    expect(text).toContain('Time: Training time needs the dataset')
  })

  it('prints JSON with the same estimate', async () => {
    const { out, io } = collectingIo()
    await estimateCommand.run(['--model', modelDir, '--max-length', '512', '--vram', '24', '--json'], io, context())
    const result = JSON.parse(out.join('\n')) as { estimate: TrainingEstimate; model: { id: string } }
    expect(result.model.id).toBe(modelDir)
    const device = result.estimate.devices[0]
    expect(device?.device.label).toBe('GPU with 24 GiB')
    expect(device?.fit.verdict).toBe('fits')
    expect(device?.vram.terms.map((term) => term.key)).toEqual(['context', 'weights', 'loraAdapters', 'optimizerState', 'activations', 'logitsAndLoss', 'allocatorSlack'])
    expect(device?.suggestions).toEqual([])
  })

  it('uses the detected GPUs when none is named: one section per GPU', async () => {
    const smi = fakeNvidiaSmi({ fixture: 'several-gpus.csv' })
    cleanups.push(smi.cleanup)
    const { out, io } = collectingIo()
    await estimateCommand.run(['--model', modelDir, '--max-length', '1024'], io, context({ ...smi.env, HF_HUB_CACHE: path.join(root, 'hub') }))
    const text = out.join('\n')
    expect(text).toContain('GPU 0: NVIDIA A100-SXM4-80GB')
    expect(text).toContain('GPU 1: NVIDIA RTX A6000')
    expect(text).toContain('GPU 2: Tesla T4')
    // The T4 has no bf16: "auto" means fp16 there, which the breakdown says.
    expect(text).toMatch(/GPU 2: Tesla T4[\s\S]*1\.24B parameters × 2 B \(fp16\)/)
  })

  it('says plainly that there is no GPU and estimates the demo on the CPU', async () => {
    const bare = pathWithoutNvidiaSmi()
    cleanups.push(bare.cleanup)
    const { out, err, io } = collectingIo()
    await estimateCommand.run(['--model', 'localtune/tiny-demo', '--max-length', '256', '--micro-batch', '8'], io, context({ ...bare.env, HF_HUB_CACHE: path.join(root, 'hub') }))
    expect(err.join('\n')).toContain(noGpuMessage)
    expect(out.join('\n')).toMatch(/CPU: .* available/)
    expect(out.join('\n')).toContain('Python and PyTorch runtime')
    expect(out.join('\n')).toContain('Peak (process memory)')
  })

  it('QLoRA on a machine without an NVIDIA GPU: "cannot train here", with the same words as the app, never "fits"', async () => {
    const bare = pathWithoutNvidiaSmi()
    cleanups.push(bare.cleanup)
    const { out, io } = collectingIo()
    expect(await estimateCommand.run(['--model', modelDir, '--method', 'qlora', '--max-length', '256'], io, context({ ...bare.env, HF_HUB_CACHE: path.join(root, 'hub') }))).toBe(0)
    const text = out.join('\n')
    expect(text).toContain('Verdict: CANNOT TRAIN HERE — QLoRA (4-bit bitsandbytes) needs an NVIDIA GPU with CUDA; on the CPU choose LoRA or Full.')
    expect(text).not.toMatch(/Verdict: FITS/)
    // LoRA on the same CPU is allowed, with the note that says what to expect.
    const lora = collectingIo()
    await estimateCommand.run(['--model', modelDir, '--method', 'lora', '--max-length', '256'], lora.io, context({ ...bare.env, HF_HUB_CACHE: path.join(root, 'hub') }))
    expect(lora.out.join('\n')).toMatch(/Verdict: (FITS|TIGHT|DOES NOT FIT) — /)
    expect(lora.out.join('\n')).toContain('Note: No NVIDIA GPU in use: this run trains on the CPU, in fp32.')
  })

  it('reads DIR/train.jsonl with the model tokenizer for real lengths and a time range', async () => {
    fs.copyFileSync(gpt2Tokenizer, path.join(modelDir, 'tokenizer.json'))
    const dataset = path.join(root, 'dataset')
    fs.mkdirSync(dataset)
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ prompt: `### Instruction: say ${i} words\n### Response: `, response: 'word '.repeat(i + 1) }))
    fs.writeFileSync(path.join(dataset, 'train.jsonl'), `${lines.join('\n')}\n`)
    const { out, io } = collectingIo()
    await estimateCommand.run(['--model', modelDir, '--gpu', 'A100 80GB', '--dataset', 'dataset', '--epochs', '3'], io, context())
    const text = out.join('\n')
    expect(text).toMatch(/Data     40 examples, \d+ tokens \(p50 \d+, p95 \d+, max \d+\); counted with .*tokenizer\.json/)
    expect(text).toMatch(/Time: \S+ – \S+ \(120 optimizer steps; .*A100 80GB 312 TFLOP\/s bf16/)
  })

  it('explains Auto choices', async () => {
    const { out, io } = collectingIo()
    await estimateCommand.run(['--model', modelDir, '--gpu', 'L4', '--auto'], io, context())
    const text = out.join('\n')
    expect(text).toContain('Auto     chose:')
    expect(text).toMatch(/ method = lora: /)
    expect(text).toMatch(/Verdict: FITS/)
  })

  it('gives the offline message for a model that is not cached', async () => {
    const { err, io } = collectingIo()
    expect(await estimateCommand.run(['--model', 'mistralai/Mistral-7B-v0.1', '--gpu', 'RTX 4090'], io, context())).toBe(1)
    expect(err[0]).toBe(`mistralai/Mistral-7B-v0.1 is not in the Hugging Face cache at ${path.join(root, 'hub')}; LocalTune runs offline: download it once with \`huggingface-cli download mistralai/Mistral-7B-v0.1\` on a machine with internet, or add a folder that holds it`)
  })

  it('rejects bad arguments with what is wrong', async () => {
    const { io } = collectingIo()
    await expect(estimateCommand.run(['--gpu', 'RTX 4090'], io, context())).rejects.toThrow(/--model is required/)
    await expect(estimateCommand.run(['--model', modelDir, '--micro-batch', '0'], io, context())).rejects.toThrow(UsageError)
    await expect(estimateCommand.run(['--model', modelDir, '--micro-batch', '0'], io, context())).rejects.toThrow('--micro-batch must be a whole number above 0 (got "0").')
    await expect(estimateCommand.run(['--model', modelDir, '--method', 'dora'], io, context())).rejects.toThrow('--method must be one of full, lora, qlora (got "dora").')
    await expect(estimateCommand.run(['--model', modelDir, '--gpu', 'Voodoo 5'], io, context())).rejects.toThrow(/"Voodoo 5" is not in LocalTune's GPU table[\s\S]*Known GPUs: RTX 5090, RTX 4090/)
    await expect(estimateCommand.run(['--model', modelDir, '--vram', 'lots'], io, context())).rejects.toThrow(/--vram must be the GPU's memory in GiB/)
    await expect(estimateCommand.run(['--model', modelDir, '--gpu', 'RTX 4090', '--lora-targets', 'attn'], io, context())).rejects.toThrow(/"attn", which is not a Linear layer/)
  })
})

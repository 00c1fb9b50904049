import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ModelCatalogEntry } from '../../../../src/shared/contract'
import { parseModelConfigText, summariseTokenCounts, tinyDemoEntry } from '../../../../src/shared/estimator'
import type { HardwareSnapshot } from '../../../../src/shared/hardware/types'
import { deriveEstimateView, type EstimateInputs } from '../../../../src/renderer/features/parameters/estimate-view'
import { fieldsFromParams } from '../../../../src/renderer/features/parameters/manual-fields'
import { contractVerdict, deviceChoiceOf, gateOpen, verifiedEstimateOf } from '../../../../src/renderer/features/parameters/verified-estimate'

const GiB = 1024 ** 3
const demoEntry: ModelCatalogEntry = { ...tinyDemoEntry(), displayName: 'LocalTune tiny demo' }
const llama8b = parseModelConfigText(
  JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256, intermediate_size: 14336, max_position_embeddings: 131072, torch_dtype: 'bfloat16' })
)
const llamaEntry: ModelCatalogEntry = { ...demoEntry, id: 'meta-llama/Llama-3.1-8B', displayName: 'meta-llama/Llama-3.1-8B', source: 'hf-cache', path: '/cache/llama', architecture: llama8b, parameters: null, isDemo: false, cpuCapable: false }

const smolLm2 = parseModelConfigText(fs.readFileSync(path.resolve(import.meta.dirname, '../../../fixtures/models/HuggingFaceTB--SmolLM2-135M/config.json'), 'utf8'))
const smolEntry: ModelCatalogEntry = { ...llamaEntry, id: 'HuggingFaceTB/SmolLM2-135M', displayName: 'HuggingFaceTB/SmolLM2-135M', architecture: smolLm2, parameters: { total: 134_515_008, byDtype: { BF16: 134_515_008 }, source: 'safetensors' }, cpuCapable: true }

const cpuOnly: HardwareSnapshot = {
  takenAt: '2026-11-23T00:00:00Z',
  gpus: [],
  gpuStatus: { code: 'no-nvidia-gpu', message: 'No NVIDIA GPU found', action: null },
  cpu: { model: 'Test CPU', physicalCores: 4, logicalCores: 8 },
  memoryTotalBytes: 16 * GiB,
  memoryAvailableBytes: 12 * GiB,
  mode: 'cpu'
}
const rtx3060: HardwareSnapshot = {
  ...cpuOnly,
  mode: 'gpu',
  gpuStatus: { code: 'ok', message: '1 NVIDIA GPU', action: null },
  gpus: [{ index: 0, name: 'NVIDIA GeForce RTX 3060', memoryTotalBytes: 12 * GiB, memoryUsedBytes: 0.5 * GiB, memoryFreeBytes: 11.5 * GiB, driverVersion: '550', computeCapability: '8.6', utilizationPercent: 0, migEnabled: false, source: 'nvidia-smi' }]
}
const stats = summariseTokenCounts(Array.from({ length: 400 }, (_, i) => 100 + ((i * 37) % 700)), { approximate: false, method: 'test counts' })

function inputs(patch: Partial<EstimateInputs> = {}): EstimateInputs {
  return { entry: demoEntry, snapshot: cpuOnly, tokenStats: stats, trainExamples: 400, datasetMode: 'chat', trainOnResponseOnly: true, mode: 'auto', manual: null, deviceKey: null, ...patch }
}

describe('the estimate view', () => {
  it('says which input it is still waiting for', () => {
    expect(deriveEstimateView(inputs({ entry: null }))).toMatchObject({ kind: 'unavailable', reason: 'Choose a model on the Model screen first.' })
    expect(deriveEstimateView(inputs({ snapshot: null }))).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('Detecting') })
    expect(deriveEstimateView(inputs({ tokenStats: null }))).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('Counting the tokens') })
    expect(deriveEstimateView(inputs({ entry: { ...demoEntry, architecture: null, problems: ['config.json is not valid JSON.'] } }))).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('config.json is not valid JSON.') })
  })

  it("Auto: the demo trains fully on the CPU, fits, and carries the data's loss choice", () => {
    const view = deriveEstimateView(inputs({ trainOnResponseOnly: false }))
    expect(view.kind).toBe('ready')
    if (view.kind !== 'ready') return
    expect(view.method).toBe('full')
    expect(view.chosenKey).toBe('cpu')
    expect(view.chosen.fit.verdict).toBe('fits')
    expect(view.params.train_on_response_only).toBe(false)
    expect(view.blocker).toBeNull()
    expect(view.chosen.time).not.toBeNull()
    expect(view.auto.choices.map((choice) => choice.field)).toContain('max_length')
  })

  it('Manual: an invalid field means no estimate; a valid change re-estimates', () => {
    const auto = deriveEstimateView(inputs())
    if (auto.kind !== 'ready') throw new Error('expected an estimate')
    const fields = fieldsFromParams(auto.method, auto.params)
    const invalid = deriveEstimateView(inputs({ mode: 'manual', manual: { ...fields, numbers: { ...fields.numbers, micro_batch_size: '' } } }))
    expect(invalid).toMatchObject({ kind: 'invalid', errors: { micro_batch_size: expect.stringContaining('Micro batch size') } })
    const smaller = deriveEstimateView(inputs({ mode: 'manual', manual: { ...fields, numbers: { ...fields.numbers, max_length: '128', micro_batch_size: '1' } } }))
    if (smaller.kind !== 'ready') throw new Error('expected an estimate')
    expect(smaller.chosen.vram.requiredBytes).toBeLessThan(auto.chosen.vram.requiredBytes)
    expect(smaller.truncated).toBe(stats.counts.filter((count) => count > 128).length)
    expect(smaller.signature).not.toBe(auto.signature)
  })

  it('a small real model without an NVIDIA GPU trains on the CPU, with the time and a note that says so', () => {
    const view = deriveEstimateView(inputs({ entry: smolEntry }))
    if (view.kind !== 'ready') throw new Error('expected an estimate')
    expect(view.chosenKey).toBe('cpu')
    expect(view.method).toBe('lora')
    expect(view.params.precision).toBe('fp32')
    expect(view.chosen.fit.verdict).toBe('fits')
    expect(view.chosen.time).not.toBeNull()
    expect(view.chosen.cpuNote).toContain('trains on the CPU')
    expect(view.chosen.cpuNote).toContain('135M parameters')
    expect(view.blocker).toBeNull()
    expect(gateOpen(view, null)).toBe(true)
  })

  it('QLoRA on the CPU cannot become a project: the Manual form names the field, the gate stays shut', () => {
    const auto = deriveEstimateView(inputs({ entry: smolEntry }))
    if (auto.kind !== 'ready') throw new Error('expected an estimate')
    const qlora = deriveEstimateView(inputs({ entry: smolEntry, mode: 'manual', manual: fieldsFromParams('qlora', auto.params) }))
    expect(qlora).toMatchObject({ kind: 'invalid', errors: { method: 'Method: QLoRA (4-bit bitsandbytes) needs an NVIDIA GPU with CUDA; on the CPU choose LoRA or Full.' } })
  })

  it('an 8B model on the CPU is allowed but the note says it is practical only on a GPU', () => {
    const view = deriveEstimateView(inputs({ entry: llamaEntry }))
    if (view.kind !== 'ready') throw new Error('expected an estimate')
    expect(view.chosen.cpuNote).toContain('practical only on an NVIDIA GPU')
    // 8B in fp32 with LoRA needs ~32 GiB of RAM: the memory verdict, not a device rule, stops it.
    expect(view.chosen.fit.verdict).toBe('does-not-fit')
    expect(view.blocker).toBeNull()
  })

  it('an 8B model on a 12 GiB GPU: Auto picks QLoRA; full finetuning does not fit and needs the explicit risk acceptance', () => {
    const auto = deriveEstimateView(inputs({ entry: llamaEntry, snapshot: rtx3060 }))
    if (auto.kind !== 'ready') throw new Error('expected an estimate')
    expect(auto.method).toBe('qlora')
    expect(deviceChoiceOf(auto)).toEqual({ kind: 'gpu', index: 0 })
    const fields = fieldsFromParams('full', auto.params)
    const full = deriveEstimateView(inputs({ entry: llamaEntry, snapshot: rtx3060, mode: 'manual', manual: fields }))
    if (full.kind !== 'ready') throw new Error('expected an estimate')
    expect(full.chosen.fit.verdict).toBe('does-not-fit')
    expect(full.chosen.suggestions.length).toBeGreaterThan(0)
    expect(gateOpen(full, null)).toBe(false)
    expect(gateOpen(full, auto.signature)).toBe(false)
    expect(gateOpen(full, full.signature)).toBe(true)
    const verified = verifiedEstimateOf(full, true, 'manual')
    expect(verified).toMatchObject({ verdict: 'does_not_fit', riskAccepted: true, peakBytes: full.chosen.vram.requiredBytes, deviceLabel: 'GPU 0: NVIDIA GeForce RTX 3060' })
    expect(contractVerdict('fits')).toBe('fits')
  })
})

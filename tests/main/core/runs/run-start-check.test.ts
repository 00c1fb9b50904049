import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { PythonRuntimeStatus } from '../../../../src/shared/contract'
import type { DeviceChoice, RunSettings } from '../../../../src/shared/contract/runs'
import { resolvePlacement } from '../../../../src/main/core/runs/run-placement'
import { runStartProblem } from '../../../../src/main/core/runs/run-start-check'
import { findAppRoot } from '../../../../src/main/core/app-root'
import { prepareDemoData } from '../../../../src/main/core/runs/demo-run'
import { makeTrainingHome, type TrainingHome } from '../../../helpers/training-home'

const GiB = 1024 ** 3

function runtime(patch: Partial<PythonRuntimeStatus> = {}): PythonRuntimeStatus {
  return {
    found: true,
    executable: '/venv/bin/python',
    source: 'app-venv',
    pythonVersion: '3.12.3',
    torchVersion: '2.13.0+cu128',
    cudaAvailable: true,
    cudaVersion: '12.8',
    packages: { transformers: '5.18.0', peft: '0.21.0', bitsandbytes: '0.48.0' },
    gpus: [{ index: 0, name: 'Tesla T4', totalMemoryBytes: 15 * GiB, freeMemoryBytes: 14 * GiB, bf16Supported: false, computeCapability: '7.5' }],
    tried: [],
    problem: null,
    fix: null,
    ...patch
  }
}

const realModel = (method: RunSettings['method'], precision: 'auto' | 'bf16' | 'fp16' | 'fp32' = 'auto'): RunSettings => ({
  model: { id: 'HuggingFaceTB/SmolLM2-135M', path: '/models/smol' },
  method,
  mode: 'chat',
  params: { precision }
})

/** The check as the supervisor makes it: the choice resolved against the runtime's GPUs first. */
function check(settings: RunSettings, choice: DeviceChoice, python: PythonRuntimeStatus): string | null {
  return runStartProblem(settings, resolvePlacement(choice, python), python)
}

const t4 = (index: number) => ({ index, name: 'Tesla T4', totalMemoryBytes: 15 * GiB, freeMemoryBytes: 14 * GiB, bf16Supported: false, computeCapability: '7.5' })
const a100 = (index: number) => ({ index, name: 'NVIDIA A100', totalMemoryBytes: 80 * GiB, freeMemoryBytes: 79 * GiB, bf16Supported: true, computeCapability: '8.0' })

describe('whether a run can start, before it is created', () => {
  it('checks every GPU of a run on several: each must be seen, and each must allow the recipe', () => {
    const mixed = runtime({ gpus: [a100(0), a100(1), t4(2)] })
    expect(check(realModel('lora', 'bf16'), { kind: 'gpus', indices: [0, 1] }, mixed)).toBeNull()
    expect(check(realModel('lora', 'bf16'), { kind: 'gpus', indices: 'all' }, mixed)).toContain('This run cannot start on GPU 2: Tesla T4: GPU 2: Tesla T4 has no bf16')
    expect(check(realModel('lora'), { kind: 'gpus', indices: [1, 4, 5] }, mixed)).toBe(
      'This run cannot start on GPU 4, GPU 5: the training runtime does not see them (it sees GPU 0: NVIDIA A100, GPU 1: NVIDIA A100, GPU 2: Tesla T4). Choose one of those, or check CUDA_VISIBLE_DEVICES.'
    )
    expect(() => check(realModel('lora'), { kind: 'gpus', indices: 'all' }, runtime({ gpus: [] }))).toThrow('"All GPUs" was chosen, but the training runtime sees no GPU.')
    // CPU ranks follow the CPU's rules.
    expect(check(realModel('lora', 'fp16'), { kind: 'cpu', processes: 2 }, mixed)).toBe('This run cannot start on the CPU: fp16 needs a CUDA GPU; on the CPU choose "auto" or fp32.')
  })

  it('refuses QLoRA and half precision on the CPU with the words the app uses', () => {
    expect(check(realModel('qlora'), { kind: 'cpu' }, runtime())).toBe('This run cannot start on the CPU: QLoRA (4-bit bitsandbytes) needs an NVIDIA GPU with CUDA; on the CPU choose LoRA or Full.')
    expect(check(realModel('lora', 'fp16'), { kind: 'cpu' }, runtime())).toBe('This run cannot start on the CPU: fp16 needs a CUDA GPU; on the CPU choose "auto" or fp32.')
    expect(check(realModel('lora'), { kind: 'cpu' }, runtime())).toBeNull()
  })

  it('refuses bf16 on a GPU without it, and a GPU the runtime does not see', () => {
    expect(check(realModel('lora', 'bf16'), { kind: 'gpu', index: 0 }, runtime())).toContain('GPU 0: Tesla T4 has no bf16')
    expect(check(realModel('lora'), { kind: 'gpu', index: 3 }, runtime())).toBe(
      'This run cannot start on GPU 3: the training runtime does not see it (it sees GPU 0: Tesla T4). Choose one of those, or check CUDA_VISIBLE_DEVICES.'
    )
    expect(check(realModel('qlora'), { kind: 'gpu', index: 0 }, runtime())).toBeNull()
  })

  it('refuses a GPU run with a CPU-only torch, instead of training on the CPU under a cuda:0 banner', () => {
    const problem = check(realModel('lora'), { kind: 'gpu', index: 0 }, runtime({ torchVersion: '2.13.0+cpu', cudaAvailable: false, cudaVersion: null, gpus: [] }))
    expect(problem).toContain('This run cannot start on GPU 0: The training runtime\'s torch 2.13.0+cpu in /venv/bin/python is a CPU-only build')
    expect(problem).toContain('localtune setup-runtime --cuda --fresh')
    expect(problem).toContain('Or train on the CPU')
  })

  it('leaves a missing runtime to the attempt, which explains it', () => {
    expect(check(realModel('qlora'), { kind: 'cpu' }, runtime({ found: false, executable: null, torchVersion: null }))).toBeNull()
  })
})

describe('starting a run that cannot start', () => {
  let training: TrainingHome | null = null
  afterEach(() => {
    training?.cleanup()
    training = null
  })

  it('QLoRA on the CPU is refused before any run folder or row exists (nothing to "resume")', async () => {
    training = makeTrainingHome()
    const data = await prepareDemoData(findAppRoot(), path.join(training.home, 'data'))
    const modelDir = path.join(training.home, 'model')
    fs.mkdirSync(modelDir)
    const attempt = training.core.runs.startRun({
      projectId: null,
      settings: { model: { id: 'local/model', path: modelDir }, method: 'qlora', mode: 'chat', params: {} },
      trainJsonl: data.trainJsonl,
      validJsonl: null,
      device: { kind: 'cpu' }
    })
    await expect(attempt).rejects.toThrow('This run cannot start on the CPU: QLoRA (4-bit bitsandbytes) needs an NVIDIA GPU with CUDA')
    expect(training.core.runs.listRuns()).toEqual([])
    expect(fs.existsSync(path.join(training.home, 'runs')) ? fs.readdirSync(path.join(training.home, 'runs')) : []).toEqual([])
  }, 120_000)
})

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Random-weight models of real architectures for tests, built by
 * python-runtime/tests/model_factory.py with the real config.json and tokenizer files in
 * ../shared/data/model-configs (nothing is downloaded). Vitest and the Playwright specs both use
 * this, so a model is described once.
 */

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
/** Real configs and tokenizers, beside the repository (CI clones shared/ next to it). */
export const modelConfigs = path.resolve(repoRoot, '..', 'shared', 'data', 'model-configs')
const factory = path.join(repoRoot, 'python-runtime', 'tests', 'model_factory.py')

/** A Python that can build and train Hugging Face models: LOCALTUNE_PYTHON, else the runtime's venv. */
export function hfPython(): { python: string } | { python: null; reason: string } {
  const venv = path.join(repoRoot, 'python-runtime', '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
  const candidates = [process.env.LOCALTUNE_PYTHON, venv].filter((candidate): candidate is string => Boolean(candidate))
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import transformers, peft, tokenizers, safetensors'], { encoding: 'utf8', timeout: 60_000 })
    if (probe.status === 0) return { python }
  }
  return { python: null, reason: `no Python with transformers, peft and tokenizers (tried ${candidates.join(', ') || 'none'}); run \`npm run runtime:setup\`` }
}

export interface TestModelRequest {
  /** Folder under model-configs with the config.json, e.g. "HuggingFaceTB--SmolLM2-135M". */
  config: string
  /** Folder under model-configs with the tokenizer files (default: `config`). */
  tokenizer?: string
  /** Write the model folder here. */
  out?: string
  /** Also put it into the Hugging Face cache under this HF_HOME, as `repoId`. */
  hfHome?: string
  repoId?: string
  layers?: number
  hidden?: number
  heads?: number
  initStd?: number
  dtype?: 'float32' | 'bfloat16'
  /** Save the tokenizer with transformers' save_pretrained (v5: the template in chat_template.jinja). */
  resaveTokenizer?: boolean
  seed?: number
}

export interface TestModel {
  folder: string | null
  snapshot: string | null
  repo_id: string | null
  revision: string | null
  /** `num_parameters()` of the built model: tied weights counted once. */
  parameters: number
  model_type: string
  num_layers: number
  hidden_size: number
  vocab_size: number
}

/** Builds the model with `python` and returns what the factory printed; throws with its stderr when it fails. */
export function buildTestModel(python: string, request: TestModelRequest): TestModel {
  const args = [factory, '--config-dir', path.join(modelConfigs, request.config), '--tokenizer-dir', path.join(modelConfigs, request.tokenizer ?? request.config)]
  if (request.out) args.push('--out', request.out)
  if (request.hfHome) args.push('--hf-home', request.hfHome, '--repo-id', request.repoId ?? '')
  for (const [flag, value] of [['--layers', request.layers], ['--hidden', request.hidden], ['--heads', request.heads], ['--init-std', request.initStd], ['--seed', request.seed]] as const) {
    if (value !== undefined) args.push(flag, String(value))
  }
  if (request.dtype) args.push('--dtype', request.dtype)
  if (request.resaveTokenizer) args.push('--resave-tokenizer')
  const result = spawnSync(python, args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' } })
  if (result.status !== 0) throw new Error(`model_factory failed (${result.status ?? result.signal}): ${result.stderr.slice(-2000)}`)
  const line = result.stdout.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line) as TestModel
}

/** The models the suites use, described once. */
export const testModels = {
  /** SmolLM2-135M exactly (Llama, 30 layers, tied embeddings: 134,515,008 parameters), random bf16 weights, Phi-3's tokenizer (32,011 tokens fit its 49,152 vocabulary). */
  smolLm2Full: { config: 'HuggingFaceTB--SmolLM2-135M', tokenizer: 'microsoft--Phi-3-mini-4k-instruct', dtype: 'bfloat16' },
  /**
   * SmolLM2's Llama layout shrunk to 2 layers of width 64 (real vocabulary), for training in
   * seconds; the tokenizer saved as transformers 5 saves it (chat_template.jinja). A wider
   * random init than the config's lets LoRA move the loss visibly in a few steps.
   */
  smolLm2Tiny: { config: 'HuggingFaceTB--SmolLM2-135M', tokenizer: 'microsoft--Phi-3-mini-4k-instruct', layers: 2, hidden: 64, heads: 4, initStd: 0.1, resaveTokenizer: true },
  /** Qwen2.5-0.5B's Qwen2 layout (biased q/k/v) shrunk to 2 layers of width 64, real vocabulary, GPT-2's tokenizer (no chat template). */
  qwen2Tiny: { config: 'Qwen--Qwen2.5-0.5B', tokenizer: 'openai-community--gpt2', layers: 2, hidden: 64, heads: 4, initStd: 0.1 }
} satisfies Record<string, TestModelRequest>

/** Whether the shared model configs are there (they are beside the repository, not in it). */
export function modelConfigsPresent(): boolean {
  return fs.existsSync(path.join(modelConfigs, 'HuggingFaceTB--SmolLM2-135M', 'config.json'))
}

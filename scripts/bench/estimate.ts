/**
 * `npm run bench:estimate`: the VRAM estimator against published measurements
 * (../shared/data/published-vram-measurements.csv, 67 rows, and this project's
 * scripts/bench/data/estimate-measurements.csv: published rows added here, ids from 201, each
 * with its source and commit: fms-acceleration's 2-GPU QLoRA rows, Llama-2-70B and Mistral-7B).
 *
 * Each row is described with the configuration that produced it (model architecture, method,
 * sequence length, micro-batch, checkpointing, LoRA targets, and the training stack of the
 * framework that ran it: torchtune, LitGPT, PEFT's MetaMathQA benchmark, transformers 2023),
 * then estimated and compared like with like:
 * - rows measured with torch.cuda.max_memory_allocated (or torchtune's active/allocated
 *   counters) against the estimate's allocated view,
 * - rows measured as max_memory_reserved against the reserved view,
 * - OOM rows must be judged "does not fit" on their GPU; "fits" rows must not be.
 * Rows whose setup the estimator cannot represent (torch.compile, optimizer-in-backward,
 * CPU/activation offload, DeepSpeed, DoRA, encoder-decoder, unstated lengths) are
 * excluded, each with its reason printed; where an estimate is still possible it is shown for
 * information. Nothing here is tuned per row: every row goes through the same estimateVram.
 *
 * Then this project's own runs (--home DIR, default $LOCALTUNE_HOME): each run's peak and step
 * time against the estimate it started with, from that home's database, beside the published rows
 * and never mixed into their error figures.
 *
 * Rows measured on several GPUs are estimated per GPU, with the ranks and the way they shared
 * the model (DDP or FSDP) that produced them.
 *
 * Options: --json (machine-readable results), --csv PATH (another measurements file; repeatable,
 * replaces both defaults), --home DIR.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Papa from 'papaparse'
import { matchGpuSpec } from '../../src/shared/estimator/gpu-specs'
import type { ModelArchitecture } from '../../src/shared/estimator/model-architecture'
import { parseModelConfig, parseModelConfigText } from '../../src/shared/estimator/model-architecture'
import type { EstimateParams } from '../../src/shared/estimator/training-params'
import type { TrainingStack } from '../../src/shared/estimator/training-stack'
import { flopsPerToken, gpuUtilisation, multiGpuScalingEfficiency, qloraSpeedFactor } from '../../src/shared/estimator/time'
import { judgeFit } from '../../src/shared/estimator/verdict'
import type { Verdict } from '../../src/shared/estimator/verdict'
import type { Parallelism, VramEstimate } from '../../src/shared/estimator/vram'
import { estimateVram } from '../../src/shared/estimator/vram'
import { readHomeRunEstimateErrors } from '../../src/main/core/runs/run-estimate-errors'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    csv: { type: 'string', multiple: true, default: [path.join(repoRoot, '..', 'shared', 'data', 'published-vram-measurements.csv'), path.join(repoRoot, 'scripts', 'bench', 'data', 'estimate-measurements.csv')] },
    home: { type: 'string', default: process.env.LOCALTUNE_HOME }
  },
  strict: true
})
const configDir = path.join(repoRoot, '..', 'shared', 'data', 'model-configs')

// ── Models ────────────────────────────────────────────────────────────────────────────────────
function fromConfigs(dir: string): ModelArchitecture {
  const file = path.join(configDir, dir, 'config.json')
  return parseModelConfigText(fs.readFileSync(file, 'utf8'), file)
}
// LitGPT (Oct 2023) keeps q, k and v in one fused Linear for every model (lit_gpt/model.py).
function litgpt(arch: ModelArchitecture): ModelArchitecture {
  return { ...arch, fusedQkv: true }
}
const llama2_7b = fromConfigs('meta-llama--Llama-2-7b-hf')
const llama2_13b = fromConfigs('meta-llama--Llama-2-13b-hf')
const llama31_8b = fromConfigs('meta-llama--Llama-3.1-8B')
const llama32_3b = fromConfigs('meta-llama--Llama-3.2-3B')
// Llama-2-70B's chat model has the base model's shapes (only the weights differ).
const llama2_70b = fromConfigs('meta-llama--Llama-2-70b-chat-hf')
const mistral7b = fromConfigs('mistralai--Mistral-7B-v0.1')
// Models without a config file in ../shared/data: the shape numbers of their Hugging Face
// config.json (as LitGPT's lit_gpt/config.py @ 8641822 also lists them).
const phi15 = parseModelConfig({ model_type: 'phi', hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 24, num_attention_heads: 32, vocab_size: 51200, max_position_embeddings: 2048, tie_word_embeddings: false }, 'microsoft/phi-1_5 config')
const stablelm3b = parseModelConfig({ model_type: 'gpt_neox', hidden_size: 4096, intermediate_size: 16384, num_hidden_layers: 16, num_attention_heads: 32, vocab_size: 50688, max_position_embeddings: 4096, tie_word_embeddings: false }, 'stabilityai/stablelm-base-alpha-3b config')
const falcon40b = parseModelConfig({ model_type: 'falcon', hidden_size: 8192, num_hidden_layers: 60, num_attention_heads: 128, num_kv_heads: 8, vocab_size: 65024, bias: false, tie_word_embeddings: false, max_position_embeddings: 2048 }, 'tiiuae/falcon-40b config')
const bloom7b1 = parseModelConfig({ model_type: 'bloom', hidden_size: 4096, n_layer: 30, n_head: 32, vocab_size: 250880, tie_word_embeddings: true }, 'bigscience/bloomz-7b1 config')
// LLaMA-1 7B/13B (decapoda-research) have Llama-2's shapes.
const llama1_7b = llama2_7b
const llama1_13b = llama2_13b

// ── Stacks (what each framework did; see the header of training-stack.ts) ──────────────────────
// torchtune before July 2024 (rows 20, 26-30): the model returned fp32 logits and the recipe kept
// them through backward; from pytorch/torchtune#1235 (July 2024, row 10) it deletes them first.
const torchtune2024: Partial<TrainingStack> = { autocast: false, fullFinetuneWeights: 'compute', loraAdapterDtype: 'compute', loss: 'fp32-logits-kept', optimizerImplementation: 'foreach', unquantizedDtype: 'compute' }
// bitsandbytes 0.41.1 (LitGPT's tables) and 0.39 (May 2023) still kept the input of every quantised Linear.
// PyTorch 2.1.0 (LitGPT's tables) and 2.0 (May 2023) still kept mean's input (meanSavesInput);
// LitGPT's chunked_cross_entropy ran on bf16 logit chunks without an upcast.
const litgptTrue: Partial<TrainingStack> = { autocast: false, fullFinetuneWeights: 'compute', loraAdapterDtype: 'compute', loss: 'chunked', optimizerImplementation: 'foreach', unquantizedDtype: 'compute', doubleQuant: false, quantizedLinearsSaveInput: true, rmsNormUpcast: false, loraScatterKeepsOutput: true, meanSavesInput: true }
const litgptMixed: Partial<TrainingStack> = { ...litgptTrue, autocast: true, loraBaseWeights: 'fp32', loraAdapterDtype: 'fp32' }
const peftMetaMath: Partial<TrainingStack> = { autocast: false, fullFinetuneWeights: 'compute', loraAdapterDtype: 'fp32', loss: 'fp32-upcast', optimizerImplementation: 'foreach' }
// fms-acceleration's baseline-peft-bnb on 2 GPUs (Feb 2025: torch 2.4.1, transformers 4.48.1,
// peft 0.13.2, trl 0.13.0, bitsandbytes 0.43.3): HF Trainer with bf16 autocast and its default
// adamw_torch (foreach); NF4 with double quant stored in bf16 for FSDP; TRL skips
// prepare_model_for_kbit_training for sharded QLoRA, so embeddings, norms and lm_head stay bf16;
// PEFT's fp32 adapters; transformers' loss upcasts the logits to fp32.
const fms2025: Partial<TrainingStack> = { autocast: true, loraAdapterDtype: 'fp32', loss: 'fp32-upcast', optimizerImplementation: 'foreach', unquantizedDtype: 'compute', doubleQuant: true, quantizedLinearsSaveInput: false, meanSavesInput: false }
const hf2023: Partial<TrainingStack> = { autocast: true, loraAdapterDtype: 'fp32', loss: 'fp32-upcast', optimizerImplementation: 'foreach', unquantizedDtype: 'fp32', doubleQuant: false, quantizedLinearsSaveInput: true, meanSavesInput: true }

function params(p: Partial<EstimateParams> & Pick<EstimateParams, 'method' | 'max_length' | 'micro_batch_size'>): EstimateParams {
  return {
    precision: 'bf16',
    gradient_accumulation_steps: 1,
    epochs: 1,
    max_steps: null,
    lora: { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj', 'v_proj'] },
    gradient_checkpointing: false,
    packing: true,
    attention: 'sdpa',
    ...p
  }
}
const lora = (r: number, alpha: number, dropout: number, target: 'all-linear' | string[]): EstimateParams['lora'] => ({ r, alpha, dropout, target_modules: target })
const qv = ['q_proj', 'v_proj']
const qkvo = ['q_proj', 'k_proj', 'v_proj', 'o_proj']
const qvoMlp = ['q_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']

// Longest Alpaca example per tokenizer, as LitGPT's resource tables state them (the peak batch
// is padded to its longest example).
const alpacaLongest = { llama2: 1304, phi: 1044, stablelm: 1034, falcon: 1079 }

interface Described {
  model: ModelArchitecture
  params: EstimateParams
  stack: Partial<TrainingStack>
  /** Which counter the row measured. */
  view: 'allocated' | 'reserved'
  /** GPU whose memory decides OOM / fits rows. */
  gpu?: string
  note?: string
  /** Ranks the row ran on (per-GPU figures) and how they shared the model. */
  ranks?: number
  parallelism?: Parallelism
}
interface Excluded {
  exclude: string
  /** An estimate shown for information only (not counted). */
  informational?: Described
}
type RowPlan = Described | Excluded

const plans: Record<string, RowPlan> = {
  '1': { exclude: 'optimizer-in-backward with paged 8-bit AdamW: gradients are never all alive and the optimizer state lives in unified memory PyTorch does not count; also torch.compile' },
  '2': { exclude: 'settings on this GPU not stated (optimizer, checkpointing); 37.4 GiB vs 18.9 GiB on the 4090 for the "same" row shows they differ' },
  '3': { exclude: 'torch.compile fuses kernels and changes which activations are saved; the estimator models eager PyTorch (what LocalTune runs)', informational: { model: llama31_8b, params: params({ method: 'lora', max_length: 2048, micro_batch_size: 2, gradient_checkpointing: true, lora: lora(8, 16, 0, qvoMlp) }), stack: { ...torchtune2024, loss: 'chunked-fp32' }, view: 'allocated' } },
  '4': { exclude: 'settings not stated (checkpointing) and torch.compile' },
  '5': { exclude: 'torch.compile; torchao NF4 (not bitsandbytes)', informational: { model: llama31_8b, params: params({ method: 'qlora', max_length: 2048, micro_batch_size: 2, gradient_checkpointing: true, lora: lora(8, 16, 0, qvoMlp) }), stack: { ...torchtune2024, loss: 'chunked-fp32', doubleQuant: true }, view: 'allocated' } },
  '6': { exclude: '8 GPUs with CPU offload' },
  '7': { exclude: '8 GPUs with FSDP, but torch.compile and checkpointing not stated' },
  '8': { exclude: '8 GPUs with FSDP, but torch.compile, torchao NF4 and checkpointing not stated' },
  '9': { exclude: 'unpacked with sequence lengths not stated (up to 4096, dataset not named): activation memory cannot be computed' },
  '10': { model: llama32_3b, params: params({ method: 'full', max_length: 4096, micro_batch_size: 2 }), stack: { ...torchtune2024, loss: 'fp32-logits-freed' }, view: 'allocated', gpu: 'A100 80GB', note: 'torchtune "peak memory active"; the optimization table ran on an 80 GB A100 (60 GiB measured)' },
  '11': { exclude: 'torch.compile', informational: { model: llama32_3b, params: params({ method: 'full', max_length: 4096, micro_batch_size: 2 }), stack: { ...torchtune2024, loss: 'fp32-logits-freed' }, view: 'allocated' } },
  '12': { exclude: 'torch.compile (with chunked cross-entropy)', informational: { model: llama32_3b, params: params({ method: 'full', max_length: 4096, micro_batch_size: 2 }), stack: { ...torchtune2024, loss: 'chunked-fp32' }, view: 'allocated' } },
  '13': { exclude: 'torch.compile (with chunked CE and checkpointing)', informational: { model: llama32_3b, params: params({ method: 'full', max_length: 4096, micro_batch_size: 2, gradient_checkpointing: true }), stack: { ...torchtune2024, loss: 'chunked-fp32' }, view: 'allocated' } },
  '14': { exclude: 'optimizer-in-backward and torch.compile' },
  '15': { exclude: 'activation offloading to CPU, optimizer-in-backward, torch.compile' },
  '16': { exclude: '8-bit AdamW inside backward, activation offloading, torch.compile' },
  '17': { exclude: 'activation offloading to CPU and torch.compile' },
  '18': { exclude: 'activation offloading to CPU, torch.compile, torchao NF4' },
  '19': { exclude: 'torch.compile; torchao NF4', informational: { model: llama2_7b, params: params({ method: 'qlora', max_length: 2048, micro_batch_size: 4, gradient_checkpointing: true, lora: lora(8, 16, 0, [...qkvo, 'gate_proj', 'up_proj', 'down_proj']) }), stack: { ...torchtune2024, doubleQuant: true }, view: 'allocated' } },
  '20': { model: llama2_7b, params: params({ method: 'lora', max_length: 2048, micro_batch_size: 4, gradient_checkpointing: true, lora: lora(8, 16, 0, qv) }), stack: torchtune2024, view: 'allocated', gpu: 'RTX 4090', note: 'README: "Batch Size = 4, Seq Length = 2048"; counter not named, compared as allocated' },
  // The same README's distributed rows: torchtune's lora/full_finetune_distributed recipes shard with FSDP (bf16 parameters, no mixed precision), with row 20's settings.
  '21': { model: llama2_7b, params: params({ method: 'lora', max_length: 2048, micro_batch_size: 4, gradient_checkpointing: true, lora: lora(8, 16, 0, qv) }), stack: torchtune2024, view: 'allocated', gpu: 'RTX 4090', ranks: 2, parallelism: 'fsdp', note: 'per GPU; 2 GPUs, LoRA sharded with FSDP; counter not named, compared as allocated (as row 20)' },
  '22': { exclude: 'paged AdamW inside backward (optimizer-in-backward)' },
  '23': { model: llama2_7b, params: params({ method: 'full', max_length: 2048, micro_batch_size: 4, gradient_checkpointing: true }), stack: torchtune2024, view: 'allocated', gpu: 'RTX 4090', ranks: 4, parallelism: 'fsdp', note: 'per GPU; 4 GPUs, full finetuning sharded with FSDP; counter not named, compared as allocated (as row 20)' },
  '24': { exclude: '8 GPUs, FSDP: LoRA rank and target modules not stated' },
  '25': { exclude: "8 GPUs, FSDP with bitsandbytes' 32-bit PagedAdamW, whose paged fp32 states the estimator does not model" },
  // torchtune tutorials (April 2024): alpaca_cleaned with the builder's max_seq_len=512, batch 2, checkpointing, bf16 adapters.
  '26': { model: llama2_7b, params: params({ method: 'lora', max_length: 512, micro_batch_size: 2, gradient_checkpointing: true, lora: lora(8, 16, 0, qv) }), stack: torchtune2024, view: 'reserved', note: 'alpaca_cleaned truncated at max_seq_len=512 (torchtune builder default then)' },
  '27': { exclude: 'reserved memory includes blocks cached while loading the checkpoint (9.13 GB reserved at init for a ~3.9 GB NF4 model, 9.29 GB in training): the training peak cannot be separated' },
  '28': { model: llama2_7b, params: params({ method: 'lora', max_length: 512, micro_batch_size: 2, gradient_checkpointing: true, lora: lora(8, 16, 0, [...qkvo, 'gate_proj', 'up_proj', 'down_proj']) }), stack: torchtune2024, view: 'reserved', note: 'LoRA on the output layer too (0.3M parameters, not modelled)' },
  '29': { model: llama2_7b, params: params({ method: 'lora', max_length: 512, micro_batch_size: 2, gradient_checkpointing: true, lora: lora(64, 128, 0, qv) }), stack: torchtune2024, view: 'reserved' },
  '30': { model: llama2_7b, params: params({ method: 'lora', max_length: 512, micro_batch_size: 2, gradient_checkpointing: true, lora: lora(64, 128, 0, [...qkvo, 'gate_proj', 'up_proj', 'down_proj']) }), stack: torchtune2024, view: 'reserved', note: 'LoRA on the output layer too (2.5M parameters, not modelled)' },
  // LitGPT resource tables (Oct 2023, commit 8641822): finetune/lora.py, bf16-true, r=8 α=16 dropout 0.05 on q and v, batch padded to the longest example.
  '55': { model: litgpt(phi15), params: params({ method: 'lora', max_length: alpacaLongest.phi, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '56': { model: litgpt(phi15), params: params({ method: 'qlora', max_length: alpacaLongest.phi, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '57': { model: litgpt(phi15), params: params({ method: 'qlora', max_length: alpacaLongest.phi, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: { ...litgptTrue, doubleQuant: true }, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '58': { model: litgpt(stablelm3b), params: params({ method: 'lora', max_length: alpacaLongest.stablelm, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '59': { model: litgpt(stablelm3b), params: params({ method: 'qlora', max_length: alpacaLongest.stablelm, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '60': { model: litgpt(llama2_7b), params: params({ method: 'lora', max_length: alpacaLongest.llama2, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '61': { model: litgpt(llama2_7b), params: params({ method: 'qlora', max_length: alpacaLongest.llama2, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '62': { model: litgpt(llama2_7b), params: params({ method: 'qlora', max_length: alpacaLongest.llama2, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: { ...litgptTrue, doubleQuant: true }, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '63': { model: litgpt(llama2_7b), params: params({ method: 'lora', max_length: alpacaLongest.llama2, micro_batch_size: 2, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '64': { model: litgpt(llama2_7b), params: params({ method: 'lora', max_length: alpacaLongest.llama2, micro_batch_size: 4, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '65': { model: litgpt(llama2_13b), params: params({ method: 'lora', max_length: alpacaLongest.llama2, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '66': { model: litgpt(llama2_13b), params: params({ method: 'qlora', max_length: alpacaLongest.llama2, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '67': { model: litgpt(llama2_13b), params: params({ method: 'qlora', max_length: alpacaLongest.llama2, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: { ...litgptTrue, doubleQuant: true }, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '68': { model: litgpt(llama2_13b), params: params({ method: 'lora', max_length: alpacaLongest.llama2, micro_batch_size: 2, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '69': { model: falcon40b, params: params({ method: 'qlora', max_length: alpacaLongest.falcon, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptTrue, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '70': { model: litgpt(stablelm3b), params: params({ method: 'lora', max_length: alpacaLongest.stablelm, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptMixed, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  '71': { model: litgpt(llama2_7b), params: params({ method: 'lora', max_length: alpacaLongest.llama2, micro_batch_size: 1, lora: lora(8, 16, 0.05, qv) }), stack: litgptMixed, view: 'allocated', gpu: 'A100-SXM4-40GB' },
  // PEFT MetaMathQA (2025): pure bf16 (no AMP), fp32 adapters, torch AdamW (foreach), SDPA, batch 4; texts ≤ 1300 characters, so the longest batch is ≤ 768 tokens (768 used: an upper bound).
  '87': { model: llama32_3b, params: params({ method: 'full', max_length: 768, micro_batch_size: 4, packing: false }), stack: peftMetaMath, view: 'reserved', gpu: 'L40S', note: 'longest batch ≤ 768 tokens (768 used)' },
  '88': { model: llama32_3b, params: params({ method: 'lora', max_length: 768, micro_batch_size: 4, packing: false, lora: lora(32, 64, 0, qv) }), stack: peftMetaMath, view: 'reserved', gpu: 'L40S', note: 'longest batch ≤ 768 tokens (768 used)' },
  '89': { model: llama32_3b, params: params({ method: 'lora', max_length: 768, micro_batch_size: 4, packing: false, lora: lora(64, 64, 0, qv) }), stack: peftMetaMath, view: 'reserved', gpu: 'L40S', note: 'longest batch ≤ 768 tokens (768 used)' },
  '90': { exclude: 'DoRA (weight-decomposed LoRA): LocalTune does not train it and its extra terms are not modelled' },
  // PEFT README (2023): full finetuning of bloomz-7b1; transformers loaded weights in fp32 by default then. Static state alone (16 B/param) decides.
  '91': { model: bloom7b1, params: params({ method: 'full', precision: 'fp32', max_length: 64, micro_batch_size: 8 }), stack: { ...hf2023, autocast: false }, view: 'allocated', gpu: 'A100 80GB', note: 'length/batch not stated (64 × 8 assumed); fp32 weights + AdamW are 113 GB alone' },
  '92': { exclude: 'micro-batch and sequence length not stated' },
  '93': { exclude: 'DeepSpeed ZeRO-3 CPU offload' },
  '94': { exclude: 'encoder-decoder model (T0_3B): not a causal LM' },
  '95': { exclude: '2 GPUs, FSDP with CPU parameter offload' },
  '96': { exclude: '2 GPUs with FSDP, but neither the GPU nor which memory counter was read is stated' },
  '97': { exclude: '2 GPUs (DeepSpeed ZeRO-3)' },
  '98': { exclude: '8 GPUs (DeepSpeed ZeRO-3)' },
  // HF 4-bit blog (May 2023), T4: transformers with eager attention, AMP, PEFT fp32 adapters,
  // prepare_model_for_kbit_training (unquantised layers fp32), TRL's SFT script defaults then
  // (r=64, α=16, q/v), sequences filled to seq_len.
  '112': { model: llama1_7b, params: params({ method: 'lora', precision: 'fp16', max_length: 512, micro_batch_size: 1, gradient_checkpointing: true, attention: 'eager', lora: lora(64, 16, 0, qv) }), stack: { ...hf2023, int8Base: true, unquantizedDtype: 'compute' }, view: 'allocated', gpu: 'T4' },
  '113': { model: llama1_7b, params: params({ method: 'lora', precision: 'fp16', max_length: 1024, micro_batch_size: 1, gradient_checkpointing: true, attention: 'eager', lora: lora(64, 16, 0, qv) }), stack: { ...hf2023, int8Base: true, unquantizedDtype: 'compute' }, view: 'allocated', gpu: 'T4' },
  '114': { model: llama1_7b, params: params({ method: 'qlora', max_length: 512, micro_batch_size: 1, attention: 'eager', lora: lora(64, 16, 0, qv) }), stack: hf2023, view: 'allocated', gpu: 'T4' },
  '115': { model: llama1_7b, params: params({ method: 'qlora', max_length: 1024, micro_batch_size: 1, attention: 'eager', lora: lora(64, 16, 0, qv) }), stack: hf2023, view: 'allocated', gpu: 'T4' },
  '116': { model: llama1_7b, params: params({ method: 'qlora', max_length: 1024, micro_batch_size: 1, gradient_checkpointing: true, attention: 'eager', lora: lora(64, 16, 0, qv) }), stack: hf2023, view: 'allocated', gpu: 'T4' },
  '117': { model: llama1_13b, params: params({ method: 'qlora', precision: 'fp16', max_length: 512, micro_batch_size: 1, gradient_checkpointing: true, attention: 'eager', lora: lora(64, 16, 0, qv) }), stack: hf2023, view: 'allocated', gpu: 'T4' },
  '118': { model: llama1_13b, params: params({ method: 'qlora', precision: 'fp16', max_length: 1024, micro_batch_size: 1, gradient_checkpointing: true, attention: 'eager', lora: lora(64, 16, 0, qv) }), stack: hf2023, view: 'allocated', gpu: 'T4' },
  // fms-acceleration scripts/benchmarks at 24bdadb2: alpaca-cleaned packed to 4096 tokens, 2 rows per GPU, checkpointing, FlashAttention-2, FSDP FULL_SHARD over 2 A100-80GB.
  '201': { model: llama2_70b, params: params({ method: 'qlora', max_length: 4096, micro_batch_size: 2, gradient_checkpointing: true, attention: 'flash_attention_2', lora: lora(16, 16, 0.1, qkvo) }), stack: fms2025, view: 'allocated', gpu: 'A100 80GB', ranks: 2, parallelism: 'fsdp', note: 'per GPU, rank 0; 2 GPUs, QLoRA sharded with FSDP' },
  '202': { model: mistral7b, params: params({ method: 'qlora', max_length: 4096, micro_batch_size: 2, gradient_checkpointing: true, attention: 'flash_attention_2', lora: lora(16, 16, 0.1, qkvo) }), stack: fms2025, view: 'allocated', gpu: 'A100 80GB', ranks: 2, parallelism: 'fsdp', note: 'per GPU, rank 0; 2 GPUs, QLoRA sharded with FSDP' },
  '203': { model: mistral7b, params: params({ method: 'qlora', max_length: 4096, micro_batch_size: 4, gradient_checkpointing: true, attention: 'flash_attention_2', lora: lora(16, 16, 0.1, qkvo) }), stack: fms2025, view: 'allocated', gpu: 'A100 80GB', ranks: 2, parallelism: 'fsdp', note: 'per GPU, rank 0; 2 GPUs, QLoRA sharded with FSDP' },
  '119': { model: llama1_13b, params: params({ method: 'qlora', precision: 'fp16', max_length: 1024, micro_batch_size: 1, gradient_checkpointing: true, attention: 'eager', lora: lora(64, 16, 0, qv) }), stack: { ...hf2023, doubleQuant: true }, view: 'allocated', gpu: 'T4' }
}

// ── Measurements ──────────────────────────────────────────────────────────────────────────────
interface Row {
  id: string
  model: string
  method: string
  gpu: string
  peak_mem: string
  peak_mem_unit: string
  mem_metric: string
  throughput_tok_s: string
}
const rows: Row[] = []
for (const file of values.csv) {
  const parsed = Papa.parse<Row>(fs.readFileSync(file, 'utf8'), { header: true, skipEmptyLines: true })
  if (parsed.errors.length > 0) throw new Error(`${file}: ${parsed.errors[0]?.message} (row ${parsed.errors[0]?.row})`)
  for (const row of parsed.data) {
    if (rows.some((earlier) => earlier.id === row.id)) throw new Error(`${file}: row id ${row.id} appears twice`)
    rows.push(row)
  }
}

function measuredBytes(row: Row): number | null {
  const value = Number.parseFloat(row.peak_mem)
  if (!Number.isFinite(value)) return null
  if (row.peak_mem_unit === 'GiB') return value * 1024 ** 3
  if (row.peak_mem_unit.startsWith('GB')) return value * 1e9
  throw new Error(`row ${row.id}: unknown unit "${row.peak_mem_unit}"`)
}

function gpuBytes(name: string): number {
  const spec = matchGpuSpec(name)
  if (!spec) throw new Error(`no GPU spec for "${name}"`)
  return spec.memoryMiB * 1024 ** 2
}

interface Result {
  id: string
  model: string
  method: string
  status: 'compared' | 'verdict' | 'excluded'
  measured: string
  view?: 'allocated' | 'reserved'
  estimateGiB?: number
  errorPercent?: number
  verdict?: Verdict
  expected?: 'does-not-fit' | 'fits'
  verdictOk?: boolean
  reason?: string
  note?: string
}

function estimate(plan: Described): VramEstimate {
  return estimateVram({ model: plan.model, params: plan.params, device: 'gpu', bf16Supported: true, stack: plan.stack, ranks: plan.ranks, parallelism: plan.parallelism })
}

const results: Result[] = []
for (const row of rows) {
  const plan = plans[row.id]
  const base = { id: row.id, model: row.model, method: row.method, measured: `${row.peak_mem} ${row.peak_mem_unit}` }
  if (!plan) {
    results.push({ ...base, status: 'excluded', reason: 'no description of this row in the benchmark (new row?)' })
    continue
  }
  if ('exclude' in plan) {
    const result: Result = { ...base, status: 'excluded', reason: plan.exclude }
    const measured = measuredBytes(row)
    if (plan.informational && measured !== null) {
      const est = estimate(plan.informational)
      const bytes = plan.informational.view === 'allocated' ? est.allocatedBytes : est.reservedBytes
      result.estimateGiB = bytes / 1024 ** 3
      result.errorPercent = ((bytes - measured) / measured) * 100
      result.view = plan.informational.view
    }
    results.push(result)
    continue
  }
  const est = estimate(plan)
  const bytes = plan.view === 'allocated' ? est.allocatedBytes : est.reservedBytes
  const measured = measuredBytes(row)
  const result: Result = { ...base, status: measured === null ? 'verdict' : 'compared', view: plan.view, estimateGiB: bytes / 1024 ** 3, note: plan.note }
  if (plan.gpu) {
    const fit = judgeFit(est.requiredBytes, gpuBytes(plan.gpu), plan.gpu)
    result.verdict = fit.verdict
    if (row.peak_mem === 'OOM') {
      result.expected = 'does-not-fit'
      result.verdictOk = fit.verdict === 'does-not-fit'
    } else {
      result.expected = 'fits'
      result.verdictOk = fit.verdict !== 'does-not-fit'
    }
  }
  if (measured !== null) result.errorPercent = ((bytes - measured) / measured) * 100
  results.push(result)
}

// ── Throughput (information only): the time estimator's tokens/s range vs measured tokens/s ───
interface ThroughputCheck { id: string; model: string; gpu: string; measured: number; low: number; high: number; inside: boolean }
const throughput: ThroughputCheck[] = []
for (const row of rows) {
  const measured = Number.parseFloat(row.throughput_tok_s)
  const plan = plans[row.id]
  if (!Number.isFinite(measured) || !plan) continue
  const described = 'exclude' in plan ? plan.informational : plan
  const gpuName = described?.gpu ?? (row.gpu === 'A100' ? 'A100 80GB' : row.gpu)
  const spec = matchGpuSpec(gpuName)
  if (!described || !spec) continue
  const flops = flopsPerToken(described.model, described.params, described.params.max_length).total
  const peak = (spec.bf16 ?? spec.fp16) * 1e12
  const factor = described.params.method === 'qlora' ? qloraSpeedFactor : { low: 1, high: 1 }
  // Rows on several GPUs report tokens/s per GPU: each keeps the scaling efficiency's share.
  const kept = (described.ranks ?? 1) > 1 ? multiGpuScalingEfficiency : { low: 1, high: 1 }
  const low = (peak * gpuUtilisation.low * factor.low * kept.low) / flops
  const high = (peak * gpuUtilisation.high * factor.high * kept.high) / flops
  throughput.push({ id: row.id, model: row.model, gpu: spec.name, measured, low, high, inside: measured >= low && measured <= high })
}

const compared = results.filter((r) => r.status === 'compared' && r.errorPercent !== undefined)
const absErrors = compared.map((r) => Math.abs(r.errorPercent as number)).sort((a, b) => a - b)
const median = absErrors.length === 0 ? Number.NaN : absErrors.length % 2 === 1 ? (absErrors[(absErrors.length - 1) / 2] as number) : ((absErrors[absErrors.length / 2 - 1] as number) + (absErrors[absErrors.length / 2] as number)) / 2
const max = absErrors.length === 0 ? Number.NaN : (absErrors[absErrors.length - 1] as number)
const oomRows = results.filter((r) => r.expected === 'does-not-fit')
const fitRows = results.filter((r) => r.expected === 'fits' && r.status === 'verdict')
const summary = {
  date: new Date().toISOString().slice(0, 10),
  rows: rows.length,
  compared: compared.length,
  excluded: results.filter((r) => r.status === 'excluded').length,
  medianAbsErrorPercent: median,
  maxAbsErrorPercent: max,
  oomRows: oomRows.length,
  oomJudgedDoesNotFit: oomRows.filter((r) => r.verdictOk).length,
  fitRows: fitRows.length,
  fitRowsNotJudgedDoesNotFit: fitRows.filter((r) => r.verdictOk).length,
  targets: { medianAbsErrorPercent: 8, maxAbsErrorPercent: 20 },
  throughputInsideRange: `${throughput.filter((t) => t.inside).length}/${throughput.length}`
}

// ── This project's own runs: measured against the estimate each started with ──────────────────
const ownRuns = values.home ? readHomeRunEstimateErrors(path.resolve(values.home)) : null

if (values.json) {
  process.stdout.write(`${JSON.stringify({ summary, results, throughput, ownRuns }, null, 2)}\n`)
} else {
  const pct = (n: number | undefined): string => (n === undefined ? '' : `${n >= 0 ? '+' : ''}${n.toFixed(1)}%`)
  const lines: string[] = []
  lines.push(`VRAM estimator vs ${values.csv.map((file) => path.relative(process.cwd(), file)).join(' + ')} (${summary.date})`)
  lines.push('')
  lines.push(['id', 'model', 'method', 'measured', 'view', 'estimate', 'error', 'verdict'].map((h, i) => h.padEnd([4, 18, 36, 22, 10, 10, 8, 0][i] ?? 0)).join(' '))
  for (const r of results) {
    if (r.status === 'excluded') continue
    const verdict = r.verdict ? `${r.verdict}${r.expected === 'does-not-fit' ? ` (OOM measured: ${r.verdictOk ? 'ok' : 'MISS'})` : r.status === 'verdict' ? ` (fits measured: ${r.verdictOk ? 'ok' : 'MISS'})` : ''}` : ''
    lines.push([r.id.padEnd(4), r.model.slice(0, 18).padEnd(18), r.method.slice(0, 36).padEnd(36), r.measured.slice(0, 22).padEnd(22), (r.view ?? '').padEnd(10), r.estimateGiB !== undefined ? `${r.estimateGiB.toFixed(2)} GiB`.padEnd(10) : ''.padEnd(10), pct(r.errorPercent).padEnd(8), verdict].join(' '))
    if (r.note) lines.push(`     note: ${r.note}`)
  }
  lines.push('')
  lines.push('Excluded rows (reason; estimate for information where one is possible, not counted):')
  for (const r of results) {
    if (r.status !== 'excluded') continue
    const info = r.errorPercent !== undefined ? ` [info: ${r.estimateGiB?.toFixed(2)} GiB ${r.view}, ${pct(r.errorPercent)}]` : ''
    lines.push(`  ${r.id.padEnd(4)} ${r.model.slice(0, 18).padEnd(18)} ${r.reason}${info}`)
  }
  lines.push('')
  lines.push(`Compared rows: ${summary.compared}; median |error| ${median.toFixed(1)}% (target ≤ 8%), max |error| ${max.toFixed(1)}% (target ≤ 20%)`)
  lines.push(`OOM rows judged "does not fit": ${summary.oomJudgedDoesNotFit}/${summary.oomRows}; measured-fits rows not judged "does not fit": ${summary.fitRowsNotJudgedDoesNotFit}/${summary.fitRows}`)
  lines.push(`Excluded: ${summary.excluded} of ${summary.rows}`)
  lines.push('')
  lines.push('Throughput (information only; the time estimate\'s tokens/s range from 15–65 % utilisation, QLoRA × 0.5–0.9):')
  for (const t of throughput) lines.push(`  ${t.id.padEnd(4)} ${t.model.slice(0, 14).padEnd(14)} ${t.gpu.padEnd(10)} measured ${String(Math.round(t.measured)).padStart(5)} tok/s, estimated ${Math.round(t.low)}–${Math.round(t.high)} ${t.inside ? 'inside' : 'OUTSIDE'}`)
  lines.push(`  ${summary.throughputInsideRange} measured throughputs fall inside the estimated range`)
  lines.push('')
  if (!values.home) lines.push("This project's own runs: give --home DIR (or set LOCALTUNE_HOME) to add the runs of a LocalTune home.")
  else if (ownRuns === null) lines.push(`This project's own runs: ${values.home} has no localtune.db.`)
  else {
    const measuredPeaks = ownRuns.filter((run) => run.peakError !== null)
    const measuredSteps = ownRuns.filter((run) => run.stepTimeError !== null)
    lines.push(`This project's own runs (${values.home}): ${ownRuns.length} with a recorded estimate, ${measuredPeaks.length} with a measured peak, ${measuredSteps.length} with a measured step time`)
    for (const run of ownRuns) {
      const peak = run.peakError !== null ? `peak ${pct(run.peakError * 100)} (${run.peakKind})` : `peak not measured (${run.peakKind === 'process' ? 'CPU runs report no peak' : 'unfinished'})`
      const step = run.stepTimeError !== null ? `step ${run.measuredSecondsPerStep?.toFixed(3)} s vs ${run.estimatedSecondsPerStep?.low.toFixed(3)}–${run.estimatedSecondsPerStep?.high.toFixed(3)} s ${run.stepTimeWithinRange ? 'inside' : 'OUTSIDE'}` : 'step time not compared'
      lines.push(`  ${run.runId.padEnd(22)} ${run.deviceLabel.slice(0, 24).padEnd(24)} ${run.basis.padEnd(9)} ${peak}; ${step}`)
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}

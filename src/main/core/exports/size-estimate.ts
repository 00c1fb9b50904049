import fs from 'node:fs'
import path from 'node:path'
import type { ExportFormat, GgufQuant } from '../../../shared/contract/exports'
import { modelWeightFiles, readSafetensorsHeader, type SafetensorsTensor } from '../models/safetensors'

/**
 * The size of an export before it is written, from the safetensors headers (names, dtypes and
 * shapes; no weights are read). GGUF follows the runtime's writer (export/gguf_writer.py): 1-D
 * tensors in f32, matrices in the chosen type (f16 when their rows do not split into its
 * blocks; q8_0 for the embedding and output of 4- and 5-bit types), no output matrix when it is
 * tied to the embedding, plus the tokenizer in the metadata.
 */

/** GGUF block layout: [values per block, bytes per block] (ggml's type traits). */
export const ggufBlocks: Record<GgufQuant | 'f32' | 'f16' | 'q8_0', [number, number]> = {
  f32: [1, 4],
  f16: [1, 2],
  bf16: [1, 2],
  q8_0: [32, 34],
  q5_1: [32, 24],
  q5_0: [32, 22],
  q4_1: [32, 20],
  q4_0: [32, 18]
}

/**
 * The transformers architectures the runtime writes as GGUF, mirrored from SUPPORTED in
 * python-runtime/localtune_runtime/export/gguf_writer.py (a test keeps the two lists equal).
 */
export const ggufArchitectures = ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM'] as const

export function ggufRefusal(architecture: string | null): string | null {
  if (architecture && (ggufArchitectures as readonly string[]).includes(architecture)) return null
  return `${architecture ?? 'This model'} cannot be exported to GGUF by LocalTune: it writes GGUF for Llama, Mistral and Qwen2 models, whose tensors map one to one onto llama.cpp's (docs/exports.md lists why others are refused). Export "merged" and convert it with llama.cpp's convert_hf_to_gguf.py, or export the adapter.`
}

const safetensorsBytes: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1 }

function elements(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1)
}

export function ggufTensorBytes(shape: readonly number[], name: string, quant: GgufQuant): number {
  const count = elements(shape)
  if (shape.length <= 1) return count * 4
  const lowBit = quant.startsWith('q4') || quant.startsWith('q5')
  const embedding = name.endsWith('embed_tokens.weight') || name === 'lm_head.weight'
  let type: keyof typeof ggufBlocks = lowBit && embedding ? 'q8_0' : quant
  const [block] = ggufBlocks[type]
  if ((shape[shape.length - 1] ?? 0) % block !== 0) type = 'f16'
  const [perBlock, bytes] = ggufBlocks[type]
  return (count / perBlock) * bytes
}

export function weightTensors(modelDir: string): SafetensorsTensor[] {
  return modelWeightFiles(modelDir).flatMap((file) => readSafetensorsHeader(file).tensors)
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size
  } catch {
    return 0
  }
}

export interface SizeInputs {
  format: ExportFormat
  quant: GgufQuant
  /** The folder with the base model's weights (LoRA) or the finetuned weights (full). */
  weightsDir: string
  /** The run's final/ folder (adapter, tokenizer). */
  finalDir: string
  tiedEmbeddings: boolean
  /** The embedding's rows (config.json vocab_size): the GGUF token list has one entry per row. */
  vocabSize: number | null
}

const tokenizerFiles = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model', 'vocab.json', 'merges.txt', 'chat_template.jinja']

export function estimateExportBytes(inputs: SizeInputs): number {
  const tokenizerBytes = tokenizerFiles.reduce((sum, name) => sum + fileSize(path.join(inputs.finalDir, name)), 0)
  if (inputs.format === 'adapter') {
    const names = ['adapter_config.json', 'adapter_model.safetensors', 'adapter_model.bin', 'README.md']
    return names.reduce((sum, name) => sum + fileSize(path.join(inputs.finalDir, name)), 0) + tokenizerBytes
  }
  const tensors = weightTensors(inputs.weightsDir).filter((tensor) => !(inputs.tiedEmbeddings && tensor.name === 'lm_head.weight'))
  if (inputs.format === 'merged') {
    const weights = tensors.reduce((sum, tensor) => sum + elements(tensor.shape) * (safetensorsBytes[tensor.dtype] ?? 4), 0)
    // Each shard's JSON header is a few bytes per tensor.
    return weights + tensors.length * 160 + tokenizerBytes + 4096
  }
  const data = tensors.reduce((sum, tensor) => sum + ggufTensorBytes(tensor.shape, tensor.name, inputs.quant), 0)
  // Per tensor: its info (name, dims, type, offset) and on average half of the 32-byte alignment.
  const infos = tensors.reduce((sum, tensor) => sum + Buffer.byteLength(tensor.name) + 24 + 8 * tensor.shape.length + 16, 0)
  return data + infos + ggufTokenizerBytes(inputs.finalDir, inputs.vocabSize) + 4096
}

/**
 * The tokenizer in GGUF metadata: every token as a length-prefixed string with its type (and its
 * score for SentencePiece-style vocabularies), byte-level BPE's merges as strings, the chat
 * template. Read from the run's tokenizer.json; its own size when that cannot be parsed.
 */
export function ggufTokenizerBytes(finalDir: string, vocabSize: number | null): number {
  const file = path.join(finalDir, 'tokenizer.json')
  let data: { model?: { vocab?: Record<string, number>; merges?: Array<string | string[]>; byte_fallback?: boolean }; added_tokens?: Array<{ id: number; content: string }> }
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof data
  } catch {
    return fileSize(file)
  }
  const byId = new Map<number, string>()
  for (const [piece, id] of Object.entries(data.model?.vocab ?? {})) byId.set(id, piece)
  for (const added of data.added_tokens ?? []) byId.set(added.id, added.content)
  const count = Math.max(vocabSize ?? 0, byId.size)
  const scored = data.model?.byte_fallback === true
  let bytes = 0
  for (let id = 0; id < count; id++) bytes += 8 + Buffer.byteLength(byId.get(id) ?? `[PAD${id}]`) + 4 + (scored ? 4 : 0)
  if (!scored) for (const merge of data.model?.merges ?? []) bytes += 8 + Buffer.byteLength(Array.isArray(merge) ? merge.join(' ') : merge)
  const template = path.join(finalDir, 'chat_template.jinja')
  return bytes + fileSize(template) + fileSize(path.join(finalDir, 'tokenizer_config.json'))
}

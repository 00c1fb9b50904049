import type { ModelArchitecture } from './model-architecture'

/**
 * One model LocalTune can train: the built-in demo, a model in the Hugging Face cache, or a
 * folder the user added. Everything is read from disk (config.json, safetensors headers,
 * tokenizer files); nothing is downloaded.
 */
export interface ModelCatalogEntry {
  /** Hub id ("meta-llama/Llama-3.2-1B"), the folder's absolute path, or "localtune/tiny-demo". */
  id: string
  displayName: string
  source: 'built-in' | 'hf-cache' | 'folder'
  /** The folder holding config.json (an HF cache snapshot folder); null for the built-in demo. */
  path: string | null
  /** HF cache commit hash of the snapshot used. */
  revision: string | null
  /** Null when config.json is missing or unreadable; `problems` says why. */
  architecture: ModelArchitecture | null
  parameters: {
    total: number
    /** Elements per safetensors dtype ("BF16", "F32", ...); empty when counted from the config. */
    byDtype: Record<string, number>
    /** "safetensors": exact, from the weight headers; "config": computed from config.json. */
    source: 'safetensors' | 'config' | 'built-in'
  } | null
  /** Bytes of the weight files on disk; null when unknown. */
  weightBytes: number | null
  hasTokenizer: boolean
  hasChatTemplate: boolean
  isDemo: boolean
  /**
   * Whether training on the CPU is realistic: the demo, and real models up to
   * `cpuPracticalParameterLimit` parameters (src/shared/estimator/device-rules.ts).
   */
  cpuCapable: boolean
  /** Things the user should know: incomplete downloads, broken files, unsupported models. */
  problems: string[]
}

/** "1.24B", "494M", "135M", "1.1M": parameter counts as model cards write them. */
export function formatParameterCount(total: number): string {
  if (total >= 1e9) return `${(total / 1e9).toFixed(total >= 1e10 ? 0 : 2)}B`
  if (total >= 1e6) return `${(total / 1e6).toFixed(total >= 1e8 ? 0 : 1)}M`
  if (total >= 1e3) return `${(total / 1e3).toFixed(1)}K`
  return String(total)
}

/** The count itself, digits grouped ("134,515,008"): what the catalog and the model card both print. */
export function formatExactParameterCount(total: number): string {
  return Math.round(total).toLocaleString('en-US')
}

const dtypeNames: Record<string, string> = {
  float32: 'fp32',
  bfloat16: 'bf16',
  float16: 'fp16',
  F32: 'fp32',
  BF16: 'bf16',
  F16: 'fp16',
  F64: 'fp64',
  F8_E4M3: 'fp8 (e4m3)',
  F8_E5M2: 'fp8 (e5m2)',
  I8: 'int8',
  U8: 'uint8',
  I32: 'int32'
}

/** A dtype as LocalTune writes it everywhere ("fp32", "bf16"), from config.json's or safetensors' spelling. */
export function dtypeName(dtype: string): string {
  return dtypeNames[dtype] ?? dtypeNames[dtype.toUpperCase()] ?? dtype.toLowerCase()
}

/**
 * The dtype the weights are stored in: the headers' most common dtype when they were read (the
 * truth on disk), else what config.json states; null when neither says.
 */
export function weightsDtype(entry: Pick<ModelCatalogEntry, 'parameters' | 'architecture'>): string | null {
  const stored = Object.entries(entry.parameters?.byDtype ?? {}).sort((a, b) => b[1] - a[1])[0]?.[0]
  if (stored) return dtypeName(stored)
  return entry.architecture?.dtype ? dtypeName(entry.architecture.dtype) : null
}

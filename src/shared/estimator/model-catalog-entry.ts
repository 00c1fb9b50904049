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
  /** Whether training on the CPU is realistic (the demo only). */
  cpuCapable: boolean
  /** Things the user should know: incomplete downloads, broken files, unsupported models. */
  problems: string[]
}

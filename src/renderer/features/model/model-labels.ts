import type { ModelCatalogEntry } from '../../../shared/contract'

/** "1.24B", "494M", "1.1M": parameter counts as model cards write them. */
export function formatParameterCount(total: number): string {
  if (total >= 1e9) return `${(total / 1e9).toFixed(total >= 1e10 ? 0 : 2)}B`
  if (total >= 1e6) return `${(total / 1e6).toFixed(total >= 1e8 ? 0 : 1)}M`
  if (total >= 1e3) return `${(total / 1e3).toFixed(1)}K`
  return String(total)
}

export function parametersLabel(entry: ModelCatalogEntry): string {
  if (!entry.parameters) return 'unknown'
  const how = entry.parameters.source === 'safetensors' ? 'from the weights' : entry.parameters.source === 'config' ? 'from config.json' : 'built in'
  return `${formatParameterCount(entry.parameters.total)} (${how})`
}

export function architectureLabel(entry: ModelCatalogEntry): string {
  const arch = entry.architecture
  if (!arch) return 'unreadable config'
  return arch.architecture ? `${arch.modelType} · ${arch.architecture}` : arch.modelType
}

const dtypeNames: Record<string, string> = { float32: 'fp32', bfloat16: 'bf16', float16: 'fp16' }

export function dtypeLabel(entry: ModelCatalogEntry): string {
  const dtype = entry.architecture?.dtype
  return dtype ? (dtypeNames[dtype] ?? dtype) : 'not stated'
}

export function foundInLabel(entry: ModelCatalogEntry): string {
  if (entry.source === 'built-in') return 'Built into LocalTune'
  if (entry.source === 'hf-cache') return `Hugging Face cache${entry.revision ? ` (revision ${entry.revision.slice(0, 8)})` : ''}: ${entry.path ?? ''}`
  return `Your folder: ${entry.path ?? entry.id}`
}

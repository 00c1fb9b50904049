import type { ModelCatalogEntry } from '../../../shared/contract'
import { formatExactParameterCount, formatParameterCount, weightsDtype } from '../../../shared/estimator'

export function parametersLabel(entry: ModelCatalogEntry): string {
  if (!entry.parameters) return 'unknown'
  const how = entry.parameters.source === 'safetensors' ? 'from the weights' : entry.parameters.source === 'config' ? 'from config.json' : 'built in'
  // The exact count too: it is what the model card and `localtune models --json` print.
  return `${formatParameterCount(entry.parameters.total)} · ${formatExactParameterCount(entry.parameters.total)} (${how})`
}

export function architectureLabel(entry: ModelCatalogEntry): string {
  const arch = entry.architecture
  if (!arch) return 'unreadable config'
  return arch.architecture ? `${arch.modelType} · ${arch.architecture}` : arch.modelType
}

/** The stored dtype of the weights, spelled as everywhere in LocalTune (fp32, bf16). */
export function dtypeLabel(entry: ModelCatalogEntry): string {
  return weightsDtype(entry) ?? 'not stated'
}

export function foundInLabel(entry: ModelCatalogEntry): string {
  if (entry.source === 'built-in') return 'Built into LocalTune'
  if (entry.source === 'hf-cache') return `Hugging Face cache${entry.revision ? ` (revision ${entry.revision.slice(0, 8)})` : ''}: ${entry.path ?? ''}`
  return `Your folder: ${entry.path ?? entry.id}`
}

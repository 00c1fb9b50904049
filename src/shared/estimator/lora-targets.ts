import type { ModelArchitecture } from './model-architecture'
import type { BlockLinear } from './model-layers'
import { blockLinears } from './model-layers'

export class LoraTargetError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LoraTargetError'
  }
}

/**
 * The Linear layers of one block that LoRA adapts, the way PEFT matches `target_modules`:
 * "all-linear" is every Linear inside the blocks (PEFT leaves the output layer out), a list
 * matches module names by suffix. A name that matches nothing is an error, as in PEFT.
 */
export function resolveLoraTargets(arch: ModelArchitecture, targetModules: 'all-linear' | readonly string[]): BlockLinear[] {
  const linears = blockLinears(arch)
  if (targetModules === 'all-linear') return linears
  if (targetModules.length === 0) throw new LoraTargetError('lora.target_modules is empty: name at least one layer (e.g. "q_proj") or use "all-linear".')
  const chosen = new Set<BlockLinear>()
  for (const raw of targetModules) {
    const name = raw.split('.').pop() ?? raw
    const matches = linears.filter((linear) => linear.name === name || linear.aliases.includes(name))
    if (matches.length === 0) {
      const known = linears.map((linear) => linear.name).join(', ')
      throw new LoraTargetError(`lora.target_modules names "${raw}", which is not a Linear layer of this ${arch.modelType} model. Its layers are: ${known} (or use "all-linear").`)
    }
    for (const match of matches) chosen.add(match)
  }
  return linears.filter((linear) => chosen.has(linear))
}

/** Adapter parameters per block: A is r × in, B is out × r. */
export function loraParametersPerLayer(targets: readonly BlockLinear[], r: number): number {
  return targets.reduce((sum, linear) => sum + r * (linear.inFeatures + linear.outFeatures), 0)
}

/**
 * For a model with a fused q/k/v Linear: how many of its output features carry an adapter
 * (q and/or k and/or v parts), so stacks that scatter the adapter output per part can size it.
 * 0 when the fused Linear is not adapted or the model has no fused q/k/v.
 */
export function fusedQkvAdaptedWidth(arch: ModelArchitecture, targetModules: 'all-linear' | readonly string[]): number {
  if (!arch.fusedQkv) return 0
  const q = arch.numAttentionHeads * arch.headDim
  const kv = arch.numKeyValueHeads * arch.headDim
  if (targetModules === 'all-linear') return q + 2 * kv
  const names = new Set(targetModules.map((raw) => raw.split('.').pop() ?? raw))
  const fusedNames = ['qkv_proj', 'c_attn', 'query_key_value', 'Wqkv']
  if (fusedNames.some((name) => names.has(name))) return q + 2 * kv
  return (names.has('q_proj') || names.has('q') || names.has('query') ? q : 0) + (names.has('k_proj') || names.has('k') || names.has('key') ? kv : 0) + (names.has('v_proj') || names.has('v') || names.has('value') ? kv : 0)
}

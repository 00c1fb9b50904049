import type { ModelArchitecture } from './model-architecture'
import type { ModelCatalogEntry } from './model-catalog-entry'
import { countParameters } from './model-layers'

/**
 * The built-in demo model `localtune/tiny-demo`, as python-runtime/localtune_runtime/backends/
 * tiny_demo.py builds it: a byte-level decoder (256 byte values + EOS + PAD), 4 blocks of
 * width 128 with 4 heads, GELU MLP of width 512, LayerNorm, learned positions up to 1024,
 * its own output layer (not tied to the embedding: a frozen random output stalls LoRA); about
 * 1M parameters in fp32. It trains on the CPU.
 * Keep these numbers equal to the runtime's ARCHITECTURE.
 */
export const tinyDemoModelId = 'localtune/tiny-demo'

export const tinyDemoArchitecture: ModelArchitecture = {
  modelType: 'localtune-tiny-demo',
  architecture: 'TinyDemoLM',
  hiddenSize: 128,
  numLayers: 4,
  numAttentionHeads: 4,
  numKeyValueHeads: 4,
  headDim: 32,
  intermediateSize: 512,
  vocabSize: 258,
  tieWordEmbeddings: false,
  maxPositionEmbeddings: 1024,
  dtype: 'float32',
  mlp: 'plain',
  norm: 'layer',
  normsPerLayer: 2,
  fusedQkv: false,
  attentionBias: true,
  mlpBias: true,
  learnedPositions: true,
  quantization: null,
  slidingWindow: null,
  isTinyDemo: true
}

/** The demo model as the catalog lists it: always there, on every machine. */
export function tinyDemoEntry(): ModelCatalogEntry {
  return {
    id: tinyDemoModelId,
    displayName: 'LocalTune tiny demo (~1M parameters, byte-level; trains on CPU)',
    source: 'built-in',
    path: null,
    revision: null,
    architecture: tinyDemoArchitecture,
    parameters: { total: countParameters(tinyDemoArchitecture).total, byDtype: {}, source: 'built-in' },
    weightBytes: null,
    hasTokenizer: true,
    hasChatTemplate: false,
    isDemo: true,
    cpuCapable: true,
    problems: []
  }
}

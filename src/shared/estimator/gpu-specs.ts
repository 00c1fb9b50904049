/**
 * Peak dense throughput and memory of common NVIDIA GPUs, matched by the name nvidia-smi prints.
 *
 * - `bf16`/`fp16` are tensor-core TFLOP/s with FP32 accumulation (what PyTorch uses for training
 *   matmuls), dense (no 2:4 sparsity). GeForce cards run FP32-accumulate at half their FP16-
 *   accumulate rate, which is why an RTX 3090 is 71, not 142.
 * - `fp32` is non-tensor FP32 (CUDA cores).
 * - `bf16: null` means the GPU has no bf16 support (compute capability < 8.0): training uses fp16.
 * - `memoryMiB` is the usual nvidia-smi `memory.total` of that card (ECC-reserved memory already
 *   subtracted on data-centre cards); a detected GPU's own reading always wins over it.
 *
 * Sources: NVIDIA product briefs / architecture whitepapers (Turing, Ampere GA102, Ada, Hopper,
 * Blackwell RTX) and data sheets (T4, V100, A10, A40, A100, L4, L40, L40S, H100, H200).
 */
export interface GpuSpec {
  /** Name shown to the user. */
  name: string
  memoryMiB: number
  bf16: number | null
  fp16: number
  fp32: number
  computeCapability: string
}

interface GpuSpecRule {
  spec: GpuSpec
  /** Matched against the normalised name (lowercase, no "nvidia/geforce/tesla", dashes as spaces). */
  pattern: RegExp
  /** Extra condition for variants that share a name stem (A100 40 vs 80 GB). */
  when?: (name: string, memoryMiB: number | null) => boolean
}

const has80 = (name: string, memoryMiB: number | null): boolean => /\b80 ?gb\b/.test(name) || (memoryMiB !== null && memoryMiB > 60_000)
const has32 = (name: string, memoryMiB: number | null): boolean => /\b32 ?gb\b/.test(name) || (memoryMiB !== null && memoryMiB > 20_000)

const rules: GpuSpecRule[] = [
  { pattern: /\brtx 5090\b/, spec: { name: 'RTX 5090', memoryMiB: 32607, bf16: 209.5, fp16: 209.5, fp32: 104.8, computeCapability: '12.0' } },
  { pattern: /\b4090\b/, spec: { name: 'RTX 4090', memoryMiB: 24564, bf16: 165.2, fp16: 165.2, fp32: 82.6, computeCapability: '8.9' } },
  { pattern: /\b4080\b/, spec: { name: 'RTX 4080', memoryMiB: 16376, bf16: 97.5, fp16: 97.5, fp32: 48.7, computeCapability: '8.9' } },
  { pattern: /\b3090 ti\b/, spec: { name: 'RTX 3090 Ti', memoryMiB: 24564, bf16: 80, fp16: 80, fp32: 40, computeCapability: '8.6' } },
  { pattern: /\b3090\b/, spec: { name: 'RTX 3090', memoryMiB: 24576, bf16: 71, fp16: 71, fp32: 35.6, computeCapability: '8.6' } },
  { pattern: /\b3080\b/, spec: { name: 'RTX 3080', memoryMiB: 10240, bf16: 59.5, fp16: 59.5, fp32: 29.8, computeCapability: '8.6' } },
  { pattern: /\b3060\b/, spec: { name: 'RTX 3060', memoryMiB: 12288, bf16: 25.6, fp16: 25.6, fp32: 12.7, computeCapability: '8.6' } },
  { pattern: /\b2080 ti\b/, spec: { name: 'RTX 2080 Ti', memoryMiB: 11264, bf16: null, fp16: 53.8, fp32: 13.4, computeCapability: '7.5' } },
  { pattern: /\b6000 ada\b/, spec: { name: 'RTX 6000 Ada', memoryMiB: 49140, bf16: 364.2, fp16: 364.2, fp32: 91.1, computeCapability: '8.9' } },
  { pattern: /\ba6000\b/, spec: { name: 'RTX A6000', memoryMiB: 49140, bf16: 154.8, fp16: 154.8, fp32: 38.7, computeCapability: '8.6' } },
  { pattern: /\ba10\b/, spec: { name: 'A10', memoryMiB: 23028, bf16: 125, fp16: 125, fp32: 31.2, computeCapability: '8.6' } },
  { pattern: /\ba40\b/, spec: { name: 'A40', memoryMiB: 46068, bf16: 149.7, fp16: 149.7, fp32: 37.4, computeCapability: '8.6' } },
  { pattern: /\bl40s\b/, spec: { name: 'L40S', memoryMiB: 46068, bf16: 362, fp16: 362, fp32: 91.6, computeCapability: '8.9' } },
  { pattern: /\bl40\b/, spec: { name: 'L40', memoryMiB: 46068, bf16: 181, fp16: 181, fp32: 90.5, computeCapability: '8.9' } },
  { pattern: /\bl4\b/, spec: { name: 'L4', memoryMiB: 23034, bf16: 121, fp16: 121, fp32: 30.3, computeCapability: '8.9' } },
  { pattern: /\ba100\b/, when: has80, spec: { name: 'A100 80GB', memoryMiB: 81920, bf16: 312, fp16: 312, fp32: 19.5, computeCapability: '8.0' } },
  { pattern: /\ba100\b/, spec: { name: 'A100 40GB', memoryMiB: 40960, bf16: 312, fp16: 312, fp32: 19.5, computeCapability: '8.0' } },
  { pattern: /\bh100\b.*\bnvl\b/, spec: { name: 'H100 NVL', memoryMiB: 95830, bf16: 835, fp16: 835, fp32: 60, computeCapability: '9.0' } },
  { pattern: /\bh100\b.*\bpcie\b/, spec: { name: 'H100 PCIe', memoryMiB: 81559, bf16: 756, fp16: 756, fp32: 51.2, computeCapability: '9.0' } },
  { pattern: /\bh100\b/, spec: { name: 'H100 SXM', memoryMiB: 81559, bf16: 989.4, fp16: 989.4, fp32: 66.9, computeCapability: '9.0' } },
  { pattern: /\bh200\b/, spec: { name: 'H200', memoryMiB: 143771, bf16: 989.4, fp16: 989.4, fp32: 66.9, computeCapability: '9.0' } },
  { pattern: /\bv100\b.*\bpcie\b/, when: has32, spec: { name: 'V100 PCIe 32GB', memoryMiB: 32510, bf16: null, fp16: 112, fp32: 14, computeCapability: '7.0' } },
  { pattern: /\bv100\b.*\bpcie\b/, spec: { name: 'V100 PCIe 16GB', memoryMiB: 16160, bf16: null, fp16: 112, fp32: 14, computeCapability: '7.0' } },
  { pattern: /\bv100\b/, when: has32, spec: { name: 'V100 SXM2 32GB', memoryMiB: 32510, bf16: null, fp16: 125, fp32: 15.7, computeCapability: '7.0' } },
  { pattern: /\bv100\b/, spec: { name: 'V100 SXM2 16GB', memoryMiB: 16160, bf16: null, fp16: 125, fp32: 15.7, computeCapability: '7.0' } },
  { pattern: /\bt4\b/, spec: { name: 'T4', memoryMiB: 15360, bf16: null, fp16: 65, fp32: 8.1, computeCapability: '7.5' } }
]

export function normaliseGpuName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\b(nvidia|geforce|tesla|quadro)\b/g, ' ')
    .replace(/[-_/,()]+/g, ' ')
    .replace(/(\d+)\s*gb\b/g, '$1gb')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * The spec of a GPU by the name nvidia-smi prints ("NVIDIA GeForce RTX 4090",
 * "NVIDIA A100-SXM4-80GB", "Tesla T4") or a user types ("RTX 4090", "a100 80gb"); null for
 * GPUs not in the table. `memoryMiB` (when known) separates same-named variants.
 */
export function matchGpuSpec(name: string, memoryMiB: number | null = null): GpuSpec | null {
  const normalised = normaliseGpuName(name)
  for (const rule of rules) {
    if (rule.pattern.test(normalised) && (!rule.when || rule.when(normalised, memoryMiB))) return rule.spec
  }
  return null
}

/** Every GPU in the table, for help texts and pickers. */
export function knownGpuSpecs(): GpuSpec[] {
  return rules.map((rule) => rule.spec)
}

/** bf16 needs compute capability 8.0 (Ampere) or newer. */
export function supportsBf16(computeCapability: string | null): boolean | null {
  if (!computeCapability) return null
  const major = Number.parseInt(computeCapability.split('.')[0] ?? '', 10)
  return Number.isFinite(major) ? major >= 8 : null
}

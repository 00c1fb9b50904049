import { z } from 'zod'
import type { ModelArchitecture } from '../estimator/model-architecture'
import type { ModelCatalogEntry } from '../estimator/model-catalog-entry'
import type { TokenStats } from '../estimator/token-stats'
import type { CpuInfo, GpuDetectionStatus, GpuInfo, GpuMemorySample, HardwareSnapshot } from '../hardware/types'

/**
 * Runtime schemas of the plain data the estimate screens receive: the hardware snapshot, live
 * memory readings, model catalog entries (with the parsed architecture the estimator needs)
 * and token statistics. Each `satisfies` the shared TypeScript type it mirrors, so the two
 * cannot drift apart without a type error.
 */

export const gpuInfoSchema = z.object({
  index: z.number().int().min(0),
  name: z.string(),
  memoryTotalBytes: z.number().nonnegative(),
  memoryUsedBytes: z.number().nonnegative().nullable(),
  memoryFreeBytes: z.number().nonnegative().nullable(),
  driverVersion: z.string().nullable(),
  computeCapability: z.string().nullable(),
  utilizationPercent: z.number().nullable(),
  migEnabled: z.boolean(),
  source: z.enum(['nvidia-smi', 'systeminformation'])
}) satisfies z.ZodType<GpuInfo>

export const gpuDetectionStatusSchema = z.object({
  code: z.enum(['ok', 'no-nvidia-gpu', 'nvidia-smi-missing', 'nvidia-smi-timeout', 'nvidia-smi-failed', 'nvidia-smi-unreadable', 'runtime-without-cuda']),
  message: z.string(),
  action: z.string().nullable()
}) satisfies z.ZodType<GpuDetectionStatus>

export const cpuInfoSchema = z.object({
  model: z.string(),
  physicalCores: z.number().int().min(1),
  logicalCores: z.number().int().min(1),
  bf16Native: z.boolean().nullable().optional()
}) satisfies z.ZodType<CpuInfo>

export const hardwareSnapshotSchema = z.object({
  takenAt: z.string(),
  gpus: z.array(gpuInfoSchema),
  gpuStatus: gpuDetectionStatusSchema,
  cpu: cpuInfoSchema,
  memoryTotalBytes: z.number().nonnegative(),
  memoryAvailableBytes: z.number().nonnegative(),
  mode: z.enum(['gpu', 'cpu'])
}) satisfies z.ZodType<HardwareSnapshot>

export const gpuMemorySampleSchema = z.object({
  takenAt: z.string(),
  gpus: z.array(z.object({ index: z.number().int().min(0), memoryUsedBytes: z.number().nonnegative().nullable(), memoryTotalBytes: z.number().nonnegative() })),
  error: z.string().nullable()
}) satisfies z.ZodType<GpuMemorySample>

const positiveInt = z.number().int().positive()

export const modelArchitectureSchema = z.object({
  modelType: z.string(),
  architecture: z.string().nullable(),
  hiddenSize: positiveInt,
  numLayers: positiveInt,
  numAttentionHeads: positiveInt,
  numKeyValueHeads: positiveInt,
  headDim: positiveInt,
  intermediateSize: positiveInt,
  vocabSize: positiveInt,
  tieWordEmbeddings: z.boolean(),
  maxPositionEmbeddings: positiveInt.nullable(),
  dtype: z.enum(['float32', 'bfloat16', 'float16']).nullable(),
  mlp: z.enum(['gated', 'plain']),
  norm: z.enum(['rms', 'layer']),
  normsPerLayer: z.union([z.literal(1), z.literal(2)]),
  fusedQkv: z.boolean(),
  attentionBias: z.boolean(),
  mlpBias: z.boolean(),
  learnedPositions: z.boolean(),
  quantization: z.string().nullable(),
  slidingWindow: z.number().nullable(),
  isTinyDemo: z.boolean()
}) satisfies z.ZodType<ModelArchitecture>

/** One model LocalTune can train (src/shared/estimator/model-catalog-entry.ts), as the Model screen lists it. */
export const modelCatalogEntrySchema = z.object({
  id: z.string().min(1),
  displayName: z.string().min(1),
  source: z.enum(['built-in', 'hf-cache', 'folder']),
  path: z.string().nullable(),
  revision: z.string().nullable(),
  architecture: modelArchitectureSchema.nullable(),
  parameters: z
    .object({
      total: z.number().nonnegative(),
      byDtype: z.record(z.string(), z.number().nonnegative()),
      source: z.enum(['safetensors', 'config', 'built-in'])
    })
    .nullable(),
  weightBytes: z.number().nonnegative().nullable(),
  hasTokenizer: z.boolean(),
  hasChatTemplate: z.boolean(),
  isDemo: z.boolean(),
  cpuCapable: z.boolean(),
  problems: z.array(z.string())
}) satisfies z.ZodType<ModelCatalogEntry>
export type { ModelCatalogEntry }

export const tokenStatsSchema = z.object({
  exampleCount: z.number().int().nonnegative(),
  totalTokens: z.number().nonnegative(),
  minTokens: z.number().nonnegative(),
  meanTokens: z.number().nonnegative(),
  p50Tokens: z.number().nonnegative(),
  p95Tokens: z.number().nonnegative(),
  maxTokens: z.number().nonnegative(),
  histogram: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int().nonnegative() })),
  counts: z.array(z.number().int().nonnegative()),
  approximate: z.boolean(),
  method: z.string()
}) satisfies z.ZodType<TokenStats>

/**
 * What `estimate.verify` measured: a few real optimizer steps of the chosen setup on the longest
 * examples of the training file (python-runtime/localtune_runtime/verify.py writes it).
 */
export const measuredMemorySchema = z.object({
  /** "cuda": the allocator's figures; "cpu-resident": the runtime process's resident memory. */
  kind: z.enum(['cuda', 'cpu-resident']),
  /** Highest memory while loading and stepping: allocated (CUDA) or resident (CPU). */
  peakBytes: z.number().nonnegative(),
  /** CPU: the process before the model loaded (Python, PyTorch, tokenizer, data). */
  runtimeBytes: z.number().nonnegative().nullable(),
  /** Added by loading the model (with its adapters). */
  weightsBytes: z.number().nonnegative().nullable(),
  /** Kept after the first step: optimizer state (and anything else that stays). */
  optimizerStateBytes: z.number().nonnegative().nullable(),
  /** The peak above that while a step runs: gradients, activations, logits, temporaries. */
  stepBytes: z.number().nonnegative().nullable(),
  allocatedPeakBytes: z.number().nonnegative().nullable(),
  reservedPeakBytes: z.number().nonnegative().nullable(),
  /** The GPU's used memory as the driver (and nvidia-smi) reports it, other processes included. */
  deviceUsedBytes: z.number().nonnegative().nullable()
})
export type MeasuredMemory = z.infer<typeof measuredMemorySchema>

export const estimateVerificationSchema = z.object({
  verificationId: z.string(),
  /** Measured without running out of memory and under the limit. */
  fits: z.boolean(),
  cause: z.enum(['out_of_memory', 'over_limit']).nullable(),
  /** Why it does not fit, in a sentence; null when it fits. */
  message: z.string().nullable(),
  device: z.string(),
  precision: z.string(),
  method: z.string(),
  limitBytes: z.number().nonnegative().nullable(),
  memory: measuredMemorySchema,
  batch: z.object({
    sequences: z.number().int().nonnegative(),
    longestTokens: z.number().int().nonnegative(),
    /** Tokens of one worst-case micro batch, padding included. */
    paddedTokens: z.number().int().nonnegative(),
    microBatchSize: z.number().int().positive(),
    maxLength: z.number().int().positive()
  }),
  steps: z.array(z.object({ step: z.number().int(), seconds: z.number().nonnegative(), loss: z.number() })),
  /** Median of the steps after the first (which includes one-time set-up); null when none ran. */
  secondsPerStep: z.number().nonnegative().nullable(),
  tokensPerSecond: z.number().nonnegative().nullable(),
  /** Wall time of the whole verification, loading included. */
  elapsedSeconds: z.number().nonnegative()
})
export type EstimateVerification = z.infer<typeof estimateVerificationSchema>

export const verifyProgressSchema = z.object({
  verificationId: z.string(),
  stage: z.enum(['starting', 'tokenizer', 'data', 'model', 'step']),
  step: z.number().int().nullable(),
  steps: z.number().int(),
  message: z.string()
})
export type VerifyProgress = z.infer<typeof verifyProgressSchema>

/** One run's estimate beside what the run measured (History's "estimate error"). */
export const runEstimateErrorSchema = z.object({
  runId: z.string(),
  /** Whether the project's figures were verified on the machine before it was created. */
  basis: z.enum(['estimated', 'measured']),
  deviceLabel: z.string(),
  /** GPU runs report the allocator's peak (compared with the estimate's allocated bytes); CPU runs the process's. */
  peakKind: z.enum(['gpu-allocated', 'process']),
  estimatedPeakBytes: z.number().nonnegative(),
  /** Null while the run has not finished, or when the loop does not report it (CPU runs report no peak). */
  measuredPeakBytes: z.number().nonnegative().nullable(),
  /** measured ÷ estimated − 1 */
  peakError: z.number().nullable(),
  estimatedSecondsPerStep: z.object({ low: z.number(), high: z.number() }).nullable(),
  measuredSecondsPerStep: z.number().nonnegative().nullable(),
  /** measured ÷ the range's geometric middle − 1 */
  stepTimeError: z.number().nullable(),
  stepTimeWithinRange: z.boolean().nullable()
})
export type RunEstimateError = z.infer<typeof runEstimateErrorSchema>

import path from 'node:path'
import { parseArgs } from 'node:util'
import { chooseAutoParameters } from '../../../shared/estimator/auto-params'
import type { AutoParametersResult } from '../../../shared/estimator/auto-params'
import type { DeviceTarget } from '../../../shared/estimator/device-target'
import { DeviceTargetError, namedGpuTarget, targetsFromSnapshot } from '../../../shared/estimator/device-target'
import type { DeviceEstimate, TrainingEstimate } from '../../../shared/estimator/estimate-training'
import { estimateTraining } from '../../../shared/estimator/estimate-training'
import { knownGpuSpecs } from '../../../shared/estimator/gpu-specs'
import { LoraTargetError } from '../../../shared/estimator/lora-targets'
import type { ModelCatalogEntry } from '../../../shared/estimator/model-catalog-entry'
import type { TokenStats } from '../../../shared/estimator/token-stats'
import type { AttentionImplementation, EstimateParams, TrainingMethod, TrainingPrecision } from '../../../shared/estimator/training-params'
import type { GpuDetectionStatus } from '../../../shared/hardware/types'
import { detectHardware } from '../../core/hardware/detect-hardware'
import { ModelNotFoundError, resolveModel } from '../../core/models/model-catalog'
import { computeTokenStats, tokenCounterFor } from '../../core/tokens/compute-token-stats'
import { readTrainingTexts, TrainingFileError } from '../../core/tokens/training-texts'
import type { CliCommand, CliIo } from '../command'
import { UsageError } from '../command'
import { formatParameterCount } from './models'
import { formatGiB } from '../../../shared/units'
import { printVerification, verifyEstimate } from './estimate-verify'
import { trainingMethodName } from '../../../shared/run-config'

const usage = [
  'localtune estimate --model <id|path> [options]',
  '',
  'Estimates peak GPU memory (as a breakdown), whether it fits, training time, and changes that',
  'would make it fit. Without --gpu/--vram it uses the GPUs detected on this machine.',
  '',
  '  --model ID|PATH        Hugging Face id in the local cache, a model folder, or localtune/tiny-demo (required)',
  '  --method M             full | lora | qlora (default lora)',
  '  --precision P          auto | bf16 | fp16 | fp32 (default auto)',
  '  --max-length N         tokens per example (default 1024)',
  '  --micro-batch N        examples per forward pass (default 1)',
  '  --grad-accum N         micro batches per optimizer step (default 1)',
  '  --epochs N             passes over the data, for the time estimate (default 1)',
  '  --checkpointing        gradient checkpointing on',
  '  --packing              pack examples into full rows',
  '  --attention A          auto | sdpa | eager | flash_attention_2 (default auto)',
  '  --lora-r N             LoRA rank (default 16)',
  '  --lora-alpha N         LoRA alpha (default 2 × rank)',
  '  --lora-targets LIST    all-linear, or comma-separated module names (default all-linear)',
  '  --gpu NAME             judge against this GPU instead of the detected ones (e.g. "RTX 4090")',
  '  --vram GIB             GPU memory in GiB (alone, or with a --gpu that is not in the table)',
  '  --dataset DIR          read DIR/train.jsonl for token statistics (time estimate, real lengths)',
  '  --auto                 choose the parameters automatically (Auto) and explain each choice',
  '  --folder DIR           extra model folder to look in; repeatable',
  '  --verify               then measure it: load the model, take 3 real steps on the longest examples of',
  '                         --dataset on the device the estimate is for, and print measured beside estimated',
  '  --json                 print everything as JSON'
].join('\n')

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  const number = Number(value)
  if (!Number.isInteger(number) || number <= 0) throw new UsageError(`${flag} must be a whole number above 0 (got "${value}").`)
  return number
}

function oneOf<T extends string>(value: string | undefined, flag: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got "${value}").`)
  return value as T
}

export { formatGiB }

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))}s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`
  return `${(hours / 24).toFixed(1)} days`
}

function describeParams(params: EstimateParams): string {
  const method = params.method === 'full' ? trainingMethodName(params.method) : `${trainingMethodName(params.method)} r=${params.lora.r} α=${params.lora.alpha} on ${params.lora.target_modules === 'all-linear' ? 'all-linear' : params.lora.target_modules.join(',')}`
  return `${method} · ${params.precision} · max length ${params.max_length} · micro batch ${params.micro_batch_size} × accumulation ${params.gradient_accumulation_steps} · checkpointing ${params.gradient_checkpointing ? 'on' : 'off'} · attention ${params.attention}${params.packing ? ' · packing' : ''}`
}

function printDevice(io: CliIo, entry: DeviceEstimate): void {
  const { vram } = entry
  io.out('')
  io.out(`${entry.device.label} — ${formatGiB(entry.availableBytes)} available${entry.device.kind === 'gpu' && entry.device.memoryUsedBytes ? ` (${formatGiB(entry.device.memoryUsedBytes)} used by other programs)` : ''}`)
  const labelWidth = Math.max(...vram.terms.map((term) => term.label.length), 24)
  for (const term of vram.terms) io.out(`  ${term.label.padEnd(labelWidth)}  ${formatGiB(term.bytes).padStart(11)}   ${term.detail}`)
  io.out(`  ${'─'.repeat(labelWidth + 13)}`)
  io.out(`  ${(entry.device.kind === 'gpu' ? 'Peak (nvidia-smi view)' : 'Peak (process memory)').padEnd(labelWidth)}  ${formatGiB(vram.nvidiaSmiBytes).padStart(11)}   allocated ${formatGiB(vram.allocatedBytes)} · reserved ${formatGiB(vram.reservedBytes)} · peak during ${vram.peakPhase}`)
  // A method or precision this device cannot train at all is said first: the memory does not matter then.
  if (entry.cannotTrain) io.out(`  Verdict: CANNOT TRAIN HERE — ${entry.cannotTrain}`)
  else io.out(`  Verdict: ${entry.fit.verdict.toUpperCase().replace(/-/g, ' ')} — ${entry.fit.summary}`)
  for (const note of vram.notes) io.out(`  Note: ${note}`)
  if (entry.cpuNote) io.out(`  Note: ${entry.cpuNote}`)
  if (entry.time) io.out(`  Time: ${formatDuration(entry.time.lowSeconds)} – ${formatDuration(entry.time.highSeconds)} (${entry.time.optimizerSteps} optimizer steps; ${entry.time.basis})`)
  else if (entry.timeUnavailable) io.out(`  Time: ${entry.timeUnavailable}`)
  if (entry.suggestions.length > 0) {
    io.out('  To make it fit:')
    for (const suggestion of entry.suggestions) io.out(`    - [${suggestion.verdict}, ${formatGiB(suggestion.newPeakBytes)}] ${suggestion.change}`)
  }
}

function statsForJson(stats: TokenStats | null): Omit<TokenStats, 'counts'> | null {
  if (!stats) return null
  const { counts: _counts, ...rest } = stats
  return rest
}

export const estimateCommand: CliCommand = {
  name: 'estimate',
  summary: 'Estimate GPU memory (with a breakdown), fit and training time for a model and settings',
  usage,
  async run(args, io, ctx) {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        method: { type: 'string' },
        precision: { type: 'string' },
        'max-length': { type: 'string' },
        'micro-batch': { type: 'string' },
        'grad-accum': { type: 'string' },
        epochs: { type: 'string' },
        checkpointing: { type: 'boolean', default: false },
        packing: { type: 'boolean', default: false },
        attention: { type: 'string' },
        'lora-r': { type: 'string' },
        'lora-alpha': { type: 'string' },
        'lora-targets': { type: 'string' },
        gpu: { type: 'string' },
        vram: { type: 'string' },
        dataset: { type: 'string' },
        auto: { type: 'boolean', default: false },
        folder: { type: 'string', multiple: true, default: [] },
        verify: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false }
      }
    })
    if (values.verify && values.dataset === undefined) throw new UsageError('--verify needs --dataset DIR: it measures the longest examples of DIR/train.jsonl.')
    if (values.verify && (values.gpu !== undefined || values.vram !== undefined)) {
      throw new UsageError('--verify measures this machine: leave out --gpu and --vram (they describe a GPU that is not here).')
    }
    if (!values.model) throw new UsageError('--model is required: a Hugging Face id in your cache, a model folder, or localtune/tiny-demo (see `localtune models`).')
    const loraR = positiveInt(values['lora-r'], '--lora-r', 16)
    const targets = values['lora-targets'] === undefined || values['lora-targets'] === 'all-linear' ? 'all-linear' : values['lora-targets'].split(',').map((name) => name.trim()).filter((name) => name !== '')
    let params: EstimateParams = {
      method: oneOf<TrainingMethod>(values.method, '--method', ['full', 'lora', 'qlora'], 'lora'),
      precision: oneOf<TrainingPrecision>(values.precision, '--precision', ['auto', 'bf16', 'fp16', 'fp32'], 'auto'),
      max_length: positiveInt(values['max-length'], '--max-length', 1024),
      micro_batch_size: positiveInt(values['micro-batch'], '--micro-batch', 1),
      gradient_accumulation_steps: positiveInt(values['grad-accum'], '--grad-accum', 1),
      epochs: positiveInt(values.epochs, '--epochs', 1),
      max_steps: null,
      lora: { r: loraR, alpha: positiveInt(values['lora-alpha'], '--lora-alpha', 2 * loraR), dropout: 0.05, target_modules: targets },
      gradient_checkpointing: values.checkpointing,
      packing: values.packing,
      attention: oneOf<AttentionImplementation>(values.attention, '--attention', ['auto', 'sdpa', 'eager', 'flash_attention_2'], 'auto')
    }
    let vramGiB: number | null = null
    if (values.vram !== undefined) {
      vramGiB = Number(values.vram)
      if (!Number.isFinite(vramGiB) || vramGiB <= 0) throw new UsageError(`--vram must be the GPU's memory in GiB, a number above 0 (got "${values.vram}").`)
    }

    let model: ModelCatalogEntry
    try {
      model = resolveModel(values.model, { env: ctx.env, cwd: ctx.cwd, folders: values.folder })
    } catch (error) {
      if (error instanceof ModelNotFoundError) {
        io.err(error.message)
        return 1
      }
      throw error
    }
    if (!model.architecture) {
      io.err(`Cannot estimate ${model.id}: ${model.problems.join('; ') || 'its config.json could not be read'}.`)
      return 1
    }

    let devices: DeviceTarget[]
    let gpuStatus: GpuDetectionStatus | null = null
    if (values.gpu !== undefined || vramGiB !== null) {
      try {
        devices = [namedGpuTarget(values.gpu ?? null, vramGiB)]
      } catch (error) {
        if (error instanceof DeviceTargetError) throw new UsageError(`${error.message}\nKnown GPUs: ${knownGpuSpecs().map((spec) => spec.name).join(', ')}.`)
        throw error
      }
    } else {
      const snapshot = await detectHardware({ env: ctx.env })
      gpuStatus = snapshot.gpuStatus
      devices = targetsFromSnapshot(snapshot)
      if (!values.json && snapshot.gpuStatus.code !== 'ok') {
        io.err(snapshot.gpuStatus.message)
        if (snapshot.gpuStatus.action) io.err(`What to do: ${snapshot.gpuStatus.action}`)
      }
    }

    let tokenStats: TokenStats | null = null
    if (values.dataset !== undefined) {
      const file = path.resolve(ctx.cwd, values.dataset, 'train.jsonl')
      const controller = new AbortController()
      void ctx.interrupted.then(() => controller.abort())
      try {
        tokenStats = await computeTokenStats(readTrainingTexts(file), { counter: tokenCounterFor(model), signal: controller.signal })
      } catch (error) {
        if (error instanceof TrainingFileError) {
          io.err(error.message)
          return 1
        }
        throw error
      }
      if (tokenStats.exampleCount === 0) {
        io.err(`${file} has no examples: export the dataset again.`)
        return 1
      }
    }

    let auto: AutoParametersResult | null = null
    let estimate: TrainingEstimate
    try {
      if (values.auto) {
        auto = chooseAutoParameters({ model: model.architecture, parameterCount: model.parameters?.total ?? null, devices, tokenStats, datasetSize: tokenStats?.exampleCount ?? 1000 })
        params = { ...auto.params, method: auto.method }
      }
      estimate = estimateTraining({ model: model.architecture, parameterCount: model.parameters?.total ?? null, params, devices, tokenStats })
    } catch (error) {
      if (error instanceof LoraTargetError) throw new UsageError(error.message)
      throw error
    }

    const verifyOn = auto ? (estimate.devices.find((entry) => entry.device.label === auto?.device.label) ?? estimate.devices[0]) : estimate.devices[0]
    const verification = values.verify && verifyOn ? await verifyEstimate({ model, params, entry: verifyOn, trainJsonl: path.resolve(ctx.cwd, values.dataset as string, 'train.jsonl'), io, ctx, quiet: values.json }) : null
    if (verification?.status === 'failed') return 1

    if (values.json) {
      io.out(JSON.stringify({ model, gpuStatus, tokenStats: statsForJson(tokenStats), auto: auto ? { method: auto.method, params: auto.params, choices: auto.choices, device: auto.device.label, withinMargin: auto.withinMargin } : null, estimate, verification }, null, 2))
      return verification?.status === 'cancelled' ? 130 : 0
    }

    const parameters = model.parameters ? `${formatParameterCount(model.parameters.total)} parameters${model.parameters.source === 'safetensors' ? ' (safetensors)' : model.parameters.source === 'config' ? ' (from config.json)' : ''}` : 'parameter count unknown'
    io.out(`Model    ${model.id}${model.isDemo ? ' (built-in demo, trains on CPU)' : ''} — ${parameters}`)
    io.out(`Config   ${describeParams(params)}`)
    if (tokenStats) {
      io.out(`Data     ${tokenStats.exampleCount} examples, ${tokenStats.totalTokens} tokens (p50 ${tokenStats.p50Tokens}, p95 ${tokenStats.p95Tokens}, max ${tokenStats.maxTokens})${tokenStats.approximate ? ' — APPROXIMATE' : ''}; ${tokenStats.method}`)
    } else {
      io.out('Data     no --dataset: the peak assumes rows of max length, and time is not estimated')
    }
    if (auto) {
      io.out('Auto     chose:')
      for (const choice of auto.choices) io.out(`  ${choice.field} = ${choice.value === null ? '—' : String(choice.value)}: ${choice.reason}`)
    }
    for (const entry of estimate.devices) printDevice(io, entry)
    if (verification?.status === 'measured' && verifyOn) printVerification(io, verifyOn, verification.verification)
    if (verification?.status === 'cancelled') {
      io.err('Verification cancelled.')
      return 130
    }
    return 0
  }
}

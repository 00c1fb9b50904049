import crypto from 'node:crypto'
import fs from 'node:fs'
import { pythonRuntimeDir } from '../../core/app-root'
import { EstimateVerifier, type VerifyAnswer } from '../../core/estimate-verify/estimate-verifier'
import { EventHub } from '../../core/event-hub'
import { discoverPythonRuntime } from '../../core/runtime/python-discovery'
import { estimateVerifyRequestSchema } from '../../../shared/contract/estimate'
import type { EstimateVerification, VerifyProgress } from '../../../shared/contract/estimate-schemas'
import { compareWithEstimate, formatError } from '../../../shared/estimate-verify/measured-vs-estimated'
import type { DeviceEstimate } from '../../../shared/estimator/estimate-training'
import type { ModelCatalogEntry } from '../../../shared/estimator/model-catalog-entry'
import type { EstimateParams } from '../../../shared/estimator/training-params'
import { formatGiB } from '../../../shared/units'
import type { CliContext, CliIo } from '../command'

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))}s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  return hours < 48 ? `${hours}h ${String(minutes % 60).padStart(2, '0')}m` : `${(hours / 24).toFixed(1)} days`
}

/** chat when train.jsonl's first example has a prompt, generic when it has a text. */
function datasetMode(trainJsonl: string): 'chat' | 'generic' {
  const first = fs.readFileSync(trainJsonl, 'utf8').split('\n').find((line) => line.trim() !== '')
  try {
    return first && 'text' in (JSON.parse(first) as object) ? 'generic' : 'chat'
  } catch {
    return 'chat' // the runtime names the bad line in its own failure
  }
}

/**
 * `estimate --verify`: the estimate's settings measured by the runtime on the device the estimate
 * is for (the same service the app's "Verify on this machine" uses). Progress goes to stderr;
 * Ctrl+C cancels it.
 */
export async function verifyEstimate(options: { model: ModelCatalogEntry; params: EstimateParams; entry: DeviceEstimate; trainJsonl: string; io: CliIo; ctx: CliContext; quiet: boolean }): Promise<VerifyAnswer> {
  const { io, ctx, entry } = options
  if (!fs.existsSync(options.trainJsonl)) {
    io.err(`${options.trainJsonl} does not exist: export the dataset first (localtune format), then verify.`)
    return { status: 'failed', verificationId: '-', failure: { message: `${options.trainJsonl} does not exist.`, kind: 'data', advice: [], exitCode: null, signal: null, outputTail: [] } }
  }
  const runtimeDir = pythonRuntimeDir(ctx.env)
  const events = new EventHub()
  events.subscribe((name, payload) => {
    if (name === 'estimate.verify-progress' && !options.quiet) io.err(`verify: ${(payload as VerifyProgress).message}`)
  })
  const verifier = new EstimateVerifier({ env: ctx.env, runtimeDir, events, pythonRuntime: () => discoverPythonRuntime({ env: ctx.env, home: ctx.home, runtimeDir }) })
  const { method, ...params } = options.params
  const request = estimateVerifyRequestSchema.parse({
    verificationId: crypto.randomUUID(),
    trainJsonlPath: options.trainJsonl,
    settings: { model: { id: options.model.id, path: options.model.path }, method, mode: datasetMode(options.trainJsonl), params, merge: false },
    device: entry.device.kind === 'gpu' && entry.device.index !== null ? { kind: 'gpu', index: entry.device.index } : { kind: 'cpu' },
    memoryLimitBytes: entry.availableBytes > 0 ? entry.availableBytes : null
  })
  void ctx.interrupted.then(() => verifier.cancel(request.verificationId))
  const answer = await verifier.verify(request)
  if (answer.status === 'failed') {
    io.err(`Verification failed: ${answer.failure.message}`)
    for (const tip of answer.failure.advice) io.err(`  - ${tip}`)
    for (const line of answer.failure.outputTail.slice(-10)) io.err(`  | ${line}`)
  }
  return answer
}

export function printVerification(io: CliIo, entry: DeviceEstimate, verification: EstimateVerification): void {
  const compared = compareWithEstimate(entry.vram, entry.time, verification)
  const width = Math.max(...compared.rows.map((row) => row.label.length), compared.total.label.length)
  io.out('')
  io.out(`Measured on ${verification.device} (${verification.precision}, ${verification.steps.length} steps on the longest ${verification.batch.sequences} examples, ${verification.batch.longestTokens} tokens each):`)
  io.out(`  ${''.padEnd(width)}  ${'estimated'.padStart(11)}  ${'measured'.padStart(11)}`)
  const line = (label: string, estimated: number, measured: number | null) => io.out(`  ${label.padEnd(width)}  ${formatGiB(estimated).padStart(11)}  ${(measured === null ? '—' : formatGiB(measured)).padStart(11)}`)
  for (const row of compared.rows) line(row.label, row.estimatedBytes, row.measuredBytes)
  line(compared.total.label, compared.total.estimatedBytes, compared.total.measuredBytes)
  if (compared.totalError !== null) io.out(`  Measured peak vs estimate: ${formatError(compared.totalError)}`)
  if (verification.memory.deviceUsedBytes !== null) io.out(`  GPU memory in use (as nvidia-smi sees it, other programs included): ${formatGiB(verification.memory.deviceUsedBytes)}`)
  if (verification.secondsPerStep !== null) {
    io.out(`  Step time on the longest examples: ${verification.secondsPerStep.toFixed(3)} s (${Math.round(verification.tokensPerSecond ?? 0)} tokens/s)`)
  }
  if (compared.measuredSeconds !== null && entry.time) {
    io.out(`  Training time from the measured speed: ${formatDuration(compared.measuredSeconds)} (estimated ${formatDuration(entry.time.lowSeconds)} – ${formatDuration(entry.time.highSeconds)}); the longest examples are the slowest, so this leans long`)
  }
  if (verification.fits) io.out('  Verdict: FITS (measured)')
  else {
    io.out(`  Verdict: DOES NOT FIT (measured) — ${verification.message ?? verification.cause ?? ''}`)
    if (entry.suggestions.length > 0) {
      io.out('  Try:')
      for (const suggestion of entry.suggestions) io.out(`    - ${suggestion.change}`)
    } else {
      io.out('  Try: a smaller micro batch or max length, gradient checkpointing, or LoRA instead of full finetuning.')
    }
  }
}

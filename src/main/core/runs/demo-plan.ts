import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { DemoPlan } from '../../../shared/contract/runs'
import { countParameters } from '../../../shared/estimator/model-layers'
import { estimateTime } from '../../../shared/estimator/time'
import { tinyDemoArchitecture } from '../../../shared/estimator/tiny-demo'
import { withDefaultParams, TINY_DEMO_MODEL_ID } from '../../../shared/run-config/run-config-schema'
import { demoCsvName, demoDefaultMaxSteps, demoRunSettings, prepareDemoData } from './demo-run'

/** The highest `maxSteps` runs.start-demo accepts (its request schema says the same). */
export const demoMaxStepsLimit = 10_000

/** Seconds between consecutive steps of an earlier demo run on this machine (unix seconds per point). */
export interface MeasuredDemoSpeed {
  runId: string
  stepTimes: readonly number[]
}

/**
 * Token counts of the tiny demo model's examples: it reads UTF-8 bytes as tokens and ends every
 * example with EOS (python-runtime/localtune_runtime/backends/tiny_demo.py).
 */
function byteTokenCounts(trainJsonl: string): number[] {
  return fs
    .readFileSync(trainJsonl, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const example = JSON.parse(line) as { prompt?: string; response?: string; text?: string }
      const text = (example.prompt ?? '') + (example.response ?? '') + (example.text ?? '')
      return Buffer.byteLength(text, 'utf8') + 1
    })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

/** p-quantile (0..1) by nearest rank. */
function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0
}

/**
 * What the demo would do, computed the way the demo itself runs: the sample CSV is formatted by
 * the dataset core into a scratch folder (then removed), the settings are the demo's own, and the
 * time per step is this machine's last demo run when there was one (the honest figure), else the
 * estimator's CPU range for the tiny model's FLOPs.
 */
export async function buildDemoPlan(options: { appRoot: string; home: string; measured: MeasuredDemoSpeed | null }): Promise<DemoPlan> {
  const scratch = path.join(options.home, 'demo')
  fs.mkdirSync(scratch, { recursive: true })
  const outDir = fs.mkdtempSync(path.join(scratch, 'plan-'))
  try {
    const data = await prepareDemoData(options.appRoot, outDir)
    const settings = demoRunSettings()
    const params = withDefaultParams(settings.params ?? {})
    const cores = Math.max(1, os.cpus().length)
    const counts = byteTokenCounts(data.trainJsonl)
    return {
      csvName: demoCsvName,
      rows: data.rows.read,
      trainExamples: data.rows.train,
      validExamples: data.rows.validation,
      model: TINY_DEMO_MODEL_ID,
      modelParameters: countParameters(tinyDemoArchitecture).total,
      device: 'cpu',
      cpuCores: cores,
      defaultMaxSteps: demoDefaultMaxSteps,
      maxStepsLimit: demoMaxStepsLimit,
      microBatchSize: params.micro_batch_size,
      maxLength: params.max_length,
      secondsPerStep: measuredSpeed(options.measured) ?? estimatedSpeed(params, counts, cores)
    }
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true })
  }
}

function measuredSpeed(measured: MeasuredDemoSpeed | null): DemoPlan['secondsPerStep'] | null {
  if (!measured || measured.stepTimes.length < 6) return null
  const gaps: number[] = []
  for (let index = 1; index < measured.stepTimes.length; index++) {
    const gap = (measured.stepTimes[index] ?? 0) - (measured.stepTimes[index - 1] ?? 0)
    // A gap across a stop and resume is not a step's time.
    if (gap > 0 && gap < 120) gaps.push(gap)
  }
  if (gaps.length < 5) return null
  const typical = median(gaps)
  return {
    low: typical,
    high: Math.max(typical, quantile(gaps, 0.9)),
    source: 'measured',
    basis: `measured by demo run ${measured.runId} on this machine: median ${typical.toFixed(2)} s per step over ${gaps.length} steps`
  }
}

function estimatedSpeed(params: ReturnType<typeof withDefaultParams>, counts: number[], cores: number): DemoPlan['secondsPerStep'] {
  const steps = params.max_steps ?? demoDefaultMaxSteps
  const estimate = estimateTime({
    model: tinyDemoArchitecture,
    params: { ...params, method: 'full' },
    precision: 'fp32',
    tokenStats: { counts },
    device: { kind: 'cpu', cores }
  })
  return { low: estimate.lowSeconds / steps, high: estimate.highSeconds / steps, source: 'estimated', basis: estimate.basis }
}

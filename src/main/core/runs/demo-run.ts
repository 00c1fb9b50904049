import path from 'node:path'
import type { RunSettings } from '../../../shared/contract/runs'
import { exportTrainingData } from '../datasets/training-export'
import { TINY_DEMO_MODEL_ID } from '../../../shared/run-config/run-config-schema'

export const demoCsvName = 'sample-chat.csv'
// About nine passes over the 52 training rows: the train loss falls clearly while the eval loss
// on the 6 held-out rows has just stopped improving; more steps only show overfitting.
export const demoDefaultMaxSteps = 60

export function demoCsvPath(appRoot: string): string {
  return path.join(appRoot, 'resources', 'demo', demoCsvName)
}

/**
 * Formats the bundled sample CSV with the dataset core (the same formatter every project uses)
 * into `outDir`, holding out 10% for the eval curve.
 */
export async function prepareDemoData(
  appRoot: string,
  outDir: string
): Promise<{ trainJsonl: string; validJsonl: string | null; rows: { read: number; train: number; validation: number } }> {
  const summary = await exportTrainingData({
    source: demoCsvPath(appRoot),
    mapping: { mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' },
    outDir,
    split: { kind: 'percent', percent: 10, seed: 42 }
  })
  return {
    trainJsonl: path.join(outDir, summary.files.train),
    validJsonl: summary.files.validation ? path.join(outDir, summary.files.validation) : null,
    rows: { read: summary.rows.read, train: summary.rows.train, validation: summary.rows.validation }
  }
}

/**
 * The demo's settings: the tiny byte-level model, fully trained (it starts from random weights,
 * so a visible loss curve needs every weight), small enough for a laptop CPU in about a minute.
 * Its tokens are bytes, so an example is about four times as many tokens as with a real
 * tokenizer: 1024 keeps most roleplay answers whole (an answer longer than max_length is left
 * out rather than cut, so that every example still ends with EOS).
 */
export function demoRunSettings(maxSteps: number = demoDefaultMaxSteps): RunSettings {
  return {
    model: { id: TINY_DEMO_MODEL_ID, path: null, trust_remote_code: false, allow_downloads: false },
    method: 'full',
    mode: 'chat',
    params: {
      max_steps: maxSteps,
      micro_batch_size: 4,
      max_length: 1024,
      learning_rate: 0.001,
      warmup_steps: Math.min(6, Math.max(0, maxSteps - 1)),
      eval_every_steps: Math.max(1, Math.min(10, maxSteps)),
      save_every_steps: Math.max(1, Math.min(30, maxSteps))
    },
    merge: false
  }
}

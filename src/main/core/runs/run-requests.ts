import path from 'node:path'
import type { DeviceChoice, RunSettings } from '../../../shared/contract/runs'
import type { TrainingMethod } from '../../../shared/run-config/run-config-schema'
import { readRunConfigFile } from './run-folder'
import { deviceChoiceOf, placementOf } from './run-placement'
import type { RunRow } from './run-store'

/** What starts a run: its settings and formatted data, where it trains, and what it belongs to. */
export interface StartRunRequest {
  /** null (or absent) for runs outside a project, like the demo. */
  projectId?: string | null
  settings: RunSettings
  /** Formatted examples, copied into the run folder. */
  trainJsonl: string
  validJsonl?: string | null
  /** Default: the first GPU the runtime sees, else the CPU. */
  device?: DeviceChoice
  /** The dataset as the user knows it; default: the project's CSV file name. */
  datasetLabel?: string | null
}

/** What "Run again with changes" may change besides params; absent keeps the earlier run's. */
export interface RunAgainChanges {
  method?: TrainingMethod
  device?: DeviceChoice
  merge?: boolean
}

/**
 * The request for a new run with the settings and data of an earlier one (`row`), some params
 * changed (e.g. a lower learning rate, or fp32 where fp16 failed) and optionally another method,
 * device or merge choice.
 */
export function runAgainRequest(row: RunRow, paramsPatch: Record<string, unknown>, changes: RunAgainChanges = {}): StartRunRequest {
  const config = readRunConfigFile(row.run_dir)
  const dataPath = (name: string) => (path.isAbsolute(name) ? name : path.join(row.run_dir, name))
  const settings: RunSettings = {
    model: config.model,
    method: changes.method ?? config.method,
    mode: config.mode,
    params: mergeParams(config.params as Record<string, unknown>, paramsPatch) as RunSettings['params'],
    merge: changes.merge ?? config.merge
  }
  return {
    projectId: row.project_id,
    settings,
    trainJsonl: dataPath(config.data.train),
    validJsonl: config.data.valid ? dataPath(config.data.valid) : null,
    device: changes.device ?? deviceChoiceOf(placementOf(row)),
    datasetLabel: row.dataset_label
  }
}

/** Params with a patch applied; nested objects (lora) are merged key by key, not replaced. */
export function mergeParams(params: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...params }
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key]
    const bothObjects = isPlainObject(current) && isPlainObject(value)
    merged[key] = bothObjects ? mergeParams(current, value) : value
  }
  return merged
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

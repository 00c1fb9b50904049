import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { RunSettings } from '../../../shared/contract/runs'
import { parseRunConfig, RUN_CONFIG_SCHEMA_VERSION, type RunConfig } from '../../../shared/run-config/run-config-schema'
import { UserFacingError } from '../user-facing-error'
import { summaryFileName } from '../datasets/training-export'

export const runConfigFile = 'run.json'
export const trainFile = 'train.jsonl'
export const validFile = 'valid.jsonl'
/** The dataset's summary, copied beside the examples. */
export const datasetSummaryFile = summaryFileName

export function runsRoot(home: string): string {
  return path.join(home, 'runs')
}

/** Sortable and readable: 20261123-203015-a3f9 (local time of creation, then 4 random hex digits). */
export function newRunId(now: Date = new Date()): string {
  const pad = (value: number) => String(value).padStart(2, '0')
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`
  return `${date}-${time}-${crypto.randomBytes(2).toString('hex')}`
}

/** Validates the settings as a whole run.json, naming the field that is wrong. */
export function buildRunConfig(runId: string, settings: RunSettings, hasValid: boolean): RunConfig {
  const parsed = parseRunConfig({
    schema_version: RUN_CONFIG_SCHEMA_VERSION,
    run_id: runId,
    ...settings,
    data: { train: trainFile, valid: hasValid ? validFile : null }
  })
  if (!parsed.ok) {
    throw new UserFacingError('The run settings are not valid; fix the settings named below and start again.', { code: 'invalid_request', details: parsed.errors })
  }
  return parsed.config
}

function checkDataFile(file: string, role: string): void {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    throw new UserFacingError(`The ${role} examples file ${file} does not exist. Format the dataset again (it writes this file), then start the run.`, {
      code: 'invalid_request',
      details: [`${role}: ${file}`]
    })
  }
  if (!stat.isFile()) throw new UserFacingError(`The ${role} examples path ${file} is not a file.`, { code: 'invalid_request', details: [`${role}: ${file}`] })
  if (stat.size === 0) {
    throw new UserFacingError(`The ${role} examples file ${file} is empty: there is nothing to train on. Check the dataset's rows and mapping, then format it again.`, {
      code: 'invalid_request',
      details: [`${role}: ${file}`]
    })
  }
}

/**
 * Makes `<home>/runs/<id>/` with run.json and copies of the examples, so a run folder stands on
 * its own: it can be resumed, re-run or inspected even if the project's files change later.
 */
export function createRunFolder(options: { home: string; runId: string; config: RunConfig; trainJsonl: string; validJsonl: string | null }): string {
  checkDataFile(options.trainJsonl, 'training')
  if (options.validJsonl) checkDataFile(options.validJsonl, 'validation')
  const runDir = path.join(runsRoot(options.home), options.runId)
  fs.mkdirSync(runDir, { recursive: true })
  fs.copyFileSync(options.trainJsonl, path.join(runDir, trainFile))
  if (options.validJsonl) fs.copyFileSync(options.validJsonl, path.join(runDir, validFile))
  fs.writeFileSync(path.join(runDir, runConfigFile), `${JSON.stringify(options.config, null, 2)}\n`)
  // How the examples were formatted (mode, preamble, chat template): the playground formats a
  // prompt the same way. Written by `localtune format` and the app beside train.jsonl.
  const summary = path.join(path.dirname(options.trainJsonl), datasetSummaryFile)
  if (fs.existsSync(summary)) fs.copyFileSync(summary, path.join(runDir, datasetSummaryFile))
  return runDir
}

export function readRunConfigFile(runDir: string): RunConfig {
  const file = path.join(runDir, runConfigFile)
  let raw: unknown
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (error) {
    throw new UserFacingError(`The run's settings file ${file} cannot be read: ${(error as Error).message}`, { code: 'failed', details: [file] })
  }
  const parsed = parseRunConfig(raw)
  if (!parsed.ok) {
    throw new UserFacingError(`The run's settings file ${file} is not valid.`, { code: 'failed', details: parsed.errors.map((issue) => `${file}: ${issue}`) })
  }
  return parsed.config
}

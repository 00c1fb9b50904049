import path from 'node:path'
import { parseArgs } from 'node:util'
import type { ParsedRequestOf } from '../../../shared/contract'
import { cpuTarget, targetsFromSnapshot, type DeviceTarget } from '../../../shared/estimator/device-target'
import type { HardwareSnapshot } from '../../../shared/hardware/types'
import { estimateTraining } from '../../../shared/estimator/estimate-training'
import { formatGiB } from '../../../shared/units'
import { AutoTrainConfigError, autoTrainToLocalTune, readAutoTrainConfig, warmupStepsFor, type MappedKey } from '../../core/exports/autotrain'
import { ModelNotFoundError, resolveModel } from '../../core/models/model-catalog'
import { UsageError, type CliCommand, type CliIo } from '../command'
import { withCore } from '../with-core'

const usage = [
  'localtune import autotrain CONFIG.yml [--name NAME] [--cpu | --gpu N] [--accept-risk] [--json]',
  '',
  'Creates a project from an AutoTrain Advanced LLM config (tasks llm, llm-sft, llm-generic): its',
  'CSV (data.path + train_split), base model, column and parameters, with AutoTrain\'s defaults for',
  'parameters it leaves out. Every key is listed with what it became, or why LocalTune cannot honour it.',
  'The memory estimate is made as on the Parameters screen; a run that does not fit needs --accept-risk.',
  '',
  '  --name NAME      the project name (default: project_name in the config)',
  '  --cpu / --gpu N  the device the estimate is for (default: the first GPU, else the CPU)',
  '  --accept-risk    create the project even when the estimate says it does not fit',
  '  --json           print the project and the mapping as JSON',
  '',
  'Then: localtune train --project ID.  The other way: the Results screen (or the exports.autotrain-config',
  'channel) saves a run\'s settings as an AutoTrain config with the texts it trained on.'
].join('\n')

function table(io: CliIo, title: string, rows: MappedKey[]): void {
  if (rows.length === 0) return
  io.out(`\n${title}`)
  const width = Math.min(40, Math.max(...rows.map((row) => `${row.key}: ${row.value}`.length)))
  for (const row of rows) io.out(`  ${`${row.key}: ${row.value}`.padEnd(width)}  → ${row.note}`)
}

function chooseDevice(snapshot: HardwareSnapshot, values: { cpu?: boolean; gpu?: string }): DeviceTarget {
  if (values.cpu && values.gpu !== undefined) throw new UsageError('Give either --cpu or --gpu N, not both.')
  if (values.cpu) return cpuTarget(snapshot)
  const devices = targetsFromSnapshot(snapshot)
  if (values.gpu !== undefined) {
    const index = Number(values.gpu)
    const gpu = devices.find((device) => device.kind === 'gpu' && device.index === index)
    if (!gpu) throw new UsageError(`There is no GPU ${values.gpu} on this machine (${devices.map((device) => device.label).join(', ')}).`)
    return gpu
  }
  return devices[0]!
}

export const importAutoTrainCommand: CliCommand = {
  name: 'import',
  summary: 'Create a project from an AutoTrain Advanced config (localtune import autotrain CONFIG.yml)',
  usage,
  async run(args, io, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: { name: { type: 'string' }, cpu: { type: 'boolean', default: false }, gpu: { type: 'string' }, 'accept-risk': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true
    })
    if (positionals[0] !== 'autotrain' || positionals.length !== 2) throw new UsageError('Give the kind of config and its file: localtune import autotrain CONFIG.yml')
    const configFile = path.resolve(ctx.cwd, positionals[1]!)
    let imported
    try {
      imported = autoTrainToLocalTune(readAutoTrainConfig(configFile), configFile)
    } catch (error) {
      if (!(error instanceof AutoTrainConfigError)) throw error
      io.err(error.message)
      return 1
    }
    let model
    try {
      model = resolveModel(imported.modelId, { env: ctx.env, cwd: path.dirname(configFile) })
    } catch (error) {
      if (!(error instanceof ModelNotFoundError)) throw error
      io.err(`base_model: ${error.message}`)
      return 1
    }
    const architecture = model.architecture
    if (!architecture) {
      io.err(`base_model ${model.id} cannot be used: ${model.problems.join('; ') || 'its config.json could not be read'}.`)
      return 1
    }
    // The config and the model were named at this terminal by the user: that is their confirmation
    // of the paths they lead to, wherever those are (core/outside-path-check.ts).
    const confirmedPaths = [imported.csvPath, ...(imported.split?.kind === 'file' ? [imported.split.path] : []), ...(model.path ? [model.path] : [])]
    return withCore(ctx, io, async (core) => {
      const dataset = await core.handlers['datasets.import']({ path: imported.csvPath, hasHeader: true, confirmedPaths })
      if (!dataset.datasetId) {
        io.err([`${imported.csvPath} cannot be trained on:`, ...dataset.inspection.problems.map((problem) => `  - ${problem.message}`)].join('\n'))
        return 1
      }
      const draft = await core.handlers['datasets.export']({ datasetId: dataset.datasetId, mapping: imported.mapping, format: {}, split: imported.split, dropInvalidRows: false, confirmedPaths })
      const params = { ...imported.params, warmup_steps: warmupStepsFor(imported.warmupRatio, draft.summary.rows.train, imported.params) }
      const stats = await core.handlers['tokens.stats']({ datasetId: dataset.datasetId, model: { id: model.id, path: model.path }, confirmedPaths })
      const snapshot = await core.handlers['hardware.snapshot']({ refresh: false })
      const device = chooseDevice(snapshot, values)
      const estimate = estimateTraining({
        model: architecture,
        parameterCount: model.parameters?.total ?? null,
        params: { method: imported.method, precision: params.precision, max_length: params.max_length, micro_batch_size: params.micro_batch_size, gradient_accumulation_steps: params.gradient_accumulation_steps, epochs: params.epochs, max_steps: params.max_steps, lora: params.lora, gradient_checkpointing: params.gradient_checkpointing, packing: params.packing, attention: params.attention },
        devices: [device],
        tokenStats: stats.stats
      })
      const chosen = estimate.devices[0]!
      if (chosen.cannotTrain) {
        io.err(`These settings cannot train on ${chosen.device.label}: ${chosen.cannotTrain}`)
        return 1
      }
      const verdict = chosen.fit.verdict === 'does-not-fit' ? 'does_not_fit' : chosen.fit.verdict
      if (verdict === 'does_not_fit' && !values['accept-risk']) {
        io.err([`The estimate says this does not fit ${chosen.device.label}: ${chosen.fit.summary}`, ...chosen.suggestions.map((s) => `  - ${s.change} (${formatGiB(s.newPeakBytes)}, ${s.verdict})`), 'Change the config, or pass --accept-risk.'].join('\n'))
        return 1
      }
      const request: ParsedRequestOf<'projects.create'> = {
        name: values.name ?? imported.name,
        data: { datasetId: dataset.datasetId, mapping: imported.mapping, format: {}, split: imported.split, dropInvalidRows: false },
        model: { id: model.id, path: model.path, displayName: model.displayName, demo: model.isDemo, hasChatTemplate: model.hasChatTemplate },
        settings: { model: { id: model.id, path: model.path, trust_remote_code: false, allow_downloads: false }, method: imported.method, mode: 'generic', params, merge: imported.merge },
        // An imported config never turns on remote code or downloads, so there is no risk to confirm.
        confirmedRisks: [],
        confirmedPaths,
        estimate: {
          verdict,
          peakBytes: chosen.vram.requiredBytes,
          deviceMemoryBytes: chosen.availableBytes,
          deviceLabel: chosen.device.label,
          riskAccepted: verdict === 'does_not_fit',
          // Estimated from the config, not measured on this machine (`localtune estimate --verify` measures).
          measured: null,
          details: {
            mode: 'imported',
            source: `AutoTrain config ${configFile}`,
            device: chosen.device.kind === 'gpu' && chosen.device.index !== null ? { kind: 'gpu', index: chosen.device.index } : { kind: 'cpu' },
            summary: chosen.fit.summary,
            precision: chosen.vram.precision,
            terms: chosen.vram.terms,
            notes: chosen.vram.notes,
            time: chosen.time ? { lowSeconds: chosen.time.lowSeconds, highSeconds: chosen.time.highSeconds, optimizerSteps: chosen.time.optimizerSteps, basis: chosen.time.basis } : null,
            tokenStats: { exampleCount: stats.stats.exampleCount, totalTokens: stats.stats.totalTokens, maxTokens: stats.stats.maxTokens, approximate: stats.stats.approximate },
            autoTrain: { honoured: imported.honoured, notHonoured: imported.notHonoured }
          }
        },
        hardware: snapshot as unknown as Record<string, unknown>
      }
      const project = await core.handlers['projects.create'](request)
      if (values.json) {
        io.out(JSON.stringify({ project, honoured: imported.honoured, notHonoured: imported.notHonoured }, null, 2))
        return 0
      }
      io.out(`Project ${project.id} "${project.name}": ${project.trainExamples} training and ${project.validExamples} validation examples of ${path.basename(imported.csvPath)}, ${model.id}, ${imported.method}.`)
      io.out(`Estimate on ${chosen.device.label}: ${chosen.fit.verdict} (${formatGiB(chosen.vram.requiredBytes)} of ${formatGiB(chosen.availableBytes)}). ${chosen.cpuNote ?? ''}`.trim())
      table(io, 'Honoured:', imported.honoured)
      table(io, 'Not honoured:', imported.notHonoured)
      io.out(`\nTrain it: localtune train --project ${project.id}`)
      return 0
    })
  }
}

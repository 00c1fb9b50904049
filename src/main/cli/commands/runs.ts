import { parseArgs } from 'node:util'
import type { RunDetail } from '../../../shared/contract/runs'
import { createCore } from '../../core/create-core'
import { UsageError, type CliCommand } from '../command'
import { renderOutcome } from '../follow-run'
import { lossChart } from '../loss-chart'
import { describeStatus, formatDuration, formatLoss, formatSteps, table } from '../run-format'
import { reportUserError } from '../user-error'

const usage = [
  'localtune runs [--json]',
  'localtune runs show ID [--json]',
  'localtune runs delete ID',
  '',
  '  (no subcommand)  every run, newest first: status, base model, dataset, steps, final loss, duration',
  '  show ID          one run: its figures, settings, failure if any, and an ASCII loss curve',
  '  delete ID        remove a run that is not running: its folder and its history',
  '  --json           print the data as JSON instead'
].join('\n')

function renderDetail(run: RunDetail, chart: string[]): string {
  const lines = [renderOutcome(run), '']
  lines.push(`  Model:       ${run.baseModel} (${run.method}, ${run.mode})${run.demo ? ' [demo model]' : ''}`)
  lines.push(`  Dataset:     ${run.dataset ?? '-'}`)
  lines.push(`  Device:      ${run.deviceLabel ?? run.device}`)
  lines.push(`  Created:     ${run.createdAt}${run.endedAt ? `, ended ${run.endedAt}` : ''}`)
  const p = run.config.params
  lines.push(`  Params:      lr ${p.learning_rate}, ${p.scheduler} schedule, micro batch ${p.micro_batch_size} x ${p.gradient_accumulation_steps}, max_length ${p.max_length}, ${p.max_steps === null ? `${p.epochs} epoch(s)` : `${p.max_steps} steps`}`)
  if (run.checkpoints.length > 0) lines.push(`  Checkpoints: ${run.checkpoints.map((checkpoint) => checkpoint.path).join(', ')}`)
  if (chart.length > 0) {
    lines.push('', '  Loss (* train, o eval):', ...chart.map((line) => `  ${line}`))
  }
  return lines.join('\n')
}

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: 'List training runs, show one with its loss curve, or delete one',
  usage,
  async run(args, io, ctx) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true, strict: true })
    const [subcommand, runId, ...extra] = positionals
    if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(' ')}`)
    if (subcommand !== undefined && subcommand !== 'show' && subcommand !== 'delete') throw new UsageError(`Unknown subcommand "${subcommand}": use show ID or delete ID.`)
    if (subcommand !== undefined && !runId) throw new UsageError(`runs ${subcommand} needs a run ID (\`localtune runs\` lists them).`)
    const core = createCore({ env: ctx.env, home: ctx.home })
    try {
      if (subcommand === undefined) {
        const runs = core.runs.listRuns()
        if (values.json) {
          io.out(JSON.stringify(runs, null, 2))
          return 0
        }
        if (runs.length === 0) {
          io.out('No runs yet. Try `localtune train --demo`.')
          return 0
        }
        const rows = [['ID', 'STATUS', 'MODEL', 'DATASET', 'STEPS', 'LOSS', 'EVAL', 'TIME']]
        for (const run of runs) {
          rows.push([run.id, describeStatus(run), `${run.baseModel} (${run.method})`, run.dataset ?? '-', formatSteps(run), formatLoss(run.finalLoss), formatLoss(run.finalEvalLoss), formatDuration(run.durationSeconds)])
        }
        io.out(table(rows).join('\n'))
        return 0
      }
      try {
        if (subcommand === 'delete') {
          core.runs.deleteRun(runId!)
          io.out(`Deleted run ${runId}.`)
          return 0
        }
        const detail = core.runs.getRun(runId!)
        const train = core.runs.getRunMetrics(runId!, { kind: 'train' })
        const evaluation = core.runs.getRunMetrics(runId!, { kind: 'eval' })
        if (values.json) {
          io.out(JSON.stringify({ run: detail, metrics: { train, eval: evaluation } }, null, 2))
          return 0
        }
        const chart = lossChart([
          { step: train.step, value: train.loss, mark: '*' },
          { step: evaluation.step, value: evaluation.loss, mark: 'o' }
        ])
        io.out(renderDetail(detail, chart))
        return 0
      } catch (error) {
        return reportUserError(error, io)
      }
    } finally {
      core.close()
    }
  }
}

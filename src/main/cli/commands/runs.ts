import { parseArgs } from 'node:util'
import type { RunDetail } from '../../../shared/contract/runs'
import { createCore, type Core } from '../../core/create-core'
import { createProjectRepository } from '../../core/projects/project-repository'
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

/** How to ask the run's model: its mode, the format's name when the project says, and the first training prompt exactly. */
export interface PromptFormat {
  mode: string
  /** "LocalTune's instruction format" or "the model's chat template"; null when the run has no project to say. */
  style: string | null
  /** The first training example's prompt, exactly as the model read it (chat mode). */
  examplePrompt: string | null
}

function renderPromptFormat(run: RunDetail, format: PromptFormat): string[] {
  if (format.mode !== 'chat') {
    return ['  Prompt:      plain text (generic mode): the model continues the text it is given.', `               Ask it: localtune generate ${run.id} --text "..."`]
  }
  const lines = [`  Prompt:      chat mode${format.style ? `, ${format.style}` : ''}: a prompt, then the response the model learned to write.`]
  if (format.examplePrompt !== null) {
    lines.push("               The first training example's prompt, exactly as the model read it:")
    for (const line of format.examplePrompt.split('\n')) lines.push(`    | ${line}`)
    if (/\s$/.test(format.examplePrompt)) lines.push('               (it ends with whitespace, as shown: the response follows right after it)')
  }
  lines.push(`               Ask it: localtune generate ${run.id} --instruction "..." [--input "..."] (formatted exactly this way)`)
  return lines
}

function renderDetail(run: RunDetail, chart: string[], format: PromptFormat): string {
  const lines = [renderOutcome(run), '']
  lines.push(`  Model:       ${run.baseModel} (${run.method}, ${run.mode})${run.demo ? ' [demo model]' : ''}`)
  lines.push(`  Dataset:     ${run.dataset ?? '-'}`)
  lines.push(`  Device:      ${run.deviceLabel ?? run.device}`)
  lines.push(`  Created:     ${run.createdAt}${run.endedAt ? `, ended ${run.endedAt}` : ''}`)
  const p = run.config.params
  lines.push(`  Params:      lr ${p.learning_rate}, ${p.scheduler} schedule, micro batch ${p.micro_batch_size} x ${p.gradient_accumulation_steps}, max_length ${p.max_length}, ${p.max_steps === null ? `${p.epochs} epoch(s)` : `${p.max_steps} steps`}`)
  if (run.checkpoints.length > 0) lines.push(`  Checkpoints: ${run.checkpoints.map((checkpoint) => checkpoint.path).join(', ')}`)
  if (run.finalLoss !== null) lines.push(`  Final loss:  ${formatLoss(run.finalLoss)} (mean of the last 10 training steps)${run.finalEvalLoss !== null ? `, eval loss ${formatLoss(run.finalEvalLoss)}` : ''}`)
  lines.push(...renderPromptFormat(run, format))
  if (chart.length > 0) {
    lines.push('', '  Loss (* train, o eval):', ...chart.map((line) => `  ${line}`))
  }
  return lines.join('\n')
}

function promptFormatOf(core: Core, run: RunDetail): PromptFormat {
  const data = run.projectId ? createProjectRepository(core.db).get(run.projectId)?.data ?? null : null
  let style: string | null = null
  if (data && run.mode === 'chat') {
    style = data.format.chatTemplate ? "the model's chat template" : "LocalTune's instruction format (### Instruction / ### Input / ### Response)"
  }
  return { mode: run.mode, style, examplePrompt: run.mode === 'chat' ? core.runs.runResults(run.id).examplePrompt : null }
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
        const rows = [['ID', 'STATUS', 'MODEL', 'DATASET', 'STEPS', 'FINAL LOSS', 'EVAL', 'TIME']]
        for (const run of runs) {
          rows.push([run.id, describeStatus(run), `${run.baseModel} (${run.method})`, run.dataset ?? '-', formatSteps(run), formatLoss(run.finalLoss), formatLoss(run.finalEvalLoss), formatDuration(run.durationSeconds)])
        }
        io.out(table(rows).join('\n'))
        io.out('FINAL LOSS: mean of the last 10 training steps (as History and the model card give it).')
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
        const format = promptFormatOf(core, detail)
        if (values.json) {
          io.out(JSON.stringify({ run: detail, metrics: { train, eval: evaluation }, promptFormat: format }, null, 2))
          return 0
        }
        const chart = lossChart([
          { step: train.step, value: train.loss, mark: '*' },
          { step: evaluation.step, value: evaluation.loss, mark: 'o' }
        ])
        io.out(renderDetail(detail, chart, format))
        return 0
      } catch (error) {
        return reportUserError(error, io)
      }
    } finally {
      core.close()
    }
  }
}

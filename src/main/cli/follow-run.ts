import path from 'node:path'
import type { RunSummary } from '../../shared/contract/runs'
import type { RunEvent, StartedEvent } from '../../shared/run-events'
import type { Core } from '../core/create-core'
import type { CliContext, CliIo } from './command'
import { describeStatus, formatDuration, formatLoss, formatSteps, progressLine } from './run-format'

// Moves the cursor to the start of the line above and clears it: the bar redraws in place even
// though every write ends with a newline.
const overwritePreviousLine = '\x1b[1A\x1b[2K'

/**
 * Sequences per optimizer step and where the number comes from, e.g. "effective batch 8 (micro
 * batch 2 × accumulation 2 × 2 ranks)": with several ranks the same settings train on a bigger
 * batch, which changes what a learning rate means.
 */
export function effectiveBatchText(event: StartedEvent): string {
  const micro = event.config.micro_batch_size
  const accumulation = event.config.gradient_accumulation_steps
  // Events from before distributed training name no world size: they were one process.
  const ranks = event.world_size ?? 1
  const effective = event.effective_batch_size ?? micro * accumulation * ranks
  return `effective batch ${effective} (micro batch ${micro} × accumulation ${accumulation}${ranks > 1 ? ` × ${ranks} ranks` : ''})`
}

/**
 * What `train` and `resume` show while a run goes: a progress bar drawn from the run's events
 * (not the runtime's own output, unless --verbose), eval and checkpoint lines, and at the end
 * where everything is. Ctrl+C asks the run to stop gracefully. Returns the exit code.
 */
export async function followRun(core: Core, runId: string, io: CliIo, ctx: CliContext, options: { verbose?: boolean } = {}): Promise<number> {
  const verbose = options.verbose === true
  let barShown = false
  let lastDecile = -1
  let lastBar: string | null = null
  let lastStatus: string | null = null
  let pendingOutput = ''

  const line = (text: string) => {
    // The message takes the bar's line; the bar is drawn again below it.
    io.err(barShown ? `${overwritePreviousLine}${text}` : text)
    barShown = false
    if (lastBar && io.isTty && !verbose) {
      io.err(lastBar)
      barShown = true
    }
  }
  const drawBar = (text: string) => {
    lastBar = text
    if (verbose) return
    if (io.isTty) {
      io.err(barShown ? `${overwritePreviousLine}${text}` : text)
      barShown = true
    }
  }

  const onEvent = (event: RunEvent) => {
    switch (event.type) {
      case 'started':
        line(
          `${event.resumed_from_step !== null ? `Resumed at step ${event.resumed_from_step}: ` : ''}training ${event.model.id} (${event.method}, ${event.mode}) on ${event.device} in ${event.precision}: ` +
            `${event.total_steps} steps, ${event.data.train_examples} training and ${event.data.valid_examples} validation examples; ${effectiveBatchText(event)}` +
            (event.demo ? ' [demo model]' : '')
        )
        return
      case 'progress': {
        const text = progressLine({ step: event.step, totalSteps: event.total_steps, loss: event.loss, elapsedSeconds: event.elapsed_seconds, etaSeconds: event.eta_seconds })
        drawBar(text)
        const decile = Math.floor((event.step / event.total_steps) * 10)
        if (!io.isTty && !verbose && decile !== lastDecile) {
          lastDecile = decile
          io.err(text)
        }
        return
      }
      case 'eval':
        line(`step ${event.step}: eval loss ${formatLoss(event.eval_loss)} (${event.eval_examples} examples)`)
        return
      case 'checkpoint':
        line(`step ${event.step}: saved ${event.path}`)
        return
      case 'warning':
        line(`warning: ${event.message}`)
        return
      case 'error':
        line([`error (${event.kind}): ${event.message}`, ...event.advice.map((tip) => `  - ${tip}`)].join('\n'))
        return
      case 'finished':
        return
    }
  }

  const unsubscribe = core.events.subscribe((name, payload) => {
    if (name === 'run.event') {
      const { runId: id, event } = payload as { runId: string; event: RunEvent }
      if (id === runId && !verbose) onEvent(event)
    } else if (name === 'run.output' && verbose) {
      const { runId: id, data } = payload as { runId: string; data: string }
      if (id !== runId) return
      // Whole lines only: every io write ends a line.
      pendingOutput += data
      const cut = pendingOutput.lastIndexOf('\n')
      if (cut !== -1) {
        io.err(pendingOutput.slice(0, cut + 1))
        pendingOutput = pendingOutput.slice(cut + 1)
      }
    } else if (name === 'run.status') {
      const { runId: id, summary } = payload as { runId: string; summary: RunSummary }
      if (id !== runId) return
      const status = describeStatus(summary)
      if (status === lastStatus) return
      lastStatus = status
      if (summary.status === 'queued') {
        const devices = summary.gpuIndices.length === 0 ? 'the CPU' : summary.gpuIndices.length === 1 ? `GPU ${summary.gpuIndices[0]}` : `GPUs ${summary.gpuIndices.join(', ')} (all of them)`
        line(`Waiting for ${devices}: ${status}. It starts when the runs before it end.`)
      }
      if (summary.status === 'stopping') line('Stopping: finishing the current step and saving a checkpoint…')
    }
  })

  let interrupted = false
  void ctx.interrupted.then(() => {
    if (interrupted) return
    interrupted = true
    line('Ctrl+C: stopping the run gracefully (it saves a checkpoint). Press Ctrl+C again to quit at once; the run can then be resumed.')
    try {
      core.runs.stopRun(runId)
    } catch {
      // it ended on its own meanwhile
    }
  })

  try {
    const run = await core.runs.waitForRun(runId)
    if (pendingOutput) io.err(pendingOutput)
    io.out(renderOutcome(run))
    // A stop the user asked for (Ctrl+C) is a success; anything that ended on its own otherwise is not.
    return run.status === 'completed' || run.status === 'stopped' || (interrupted && run.status === 'cancelled') ? 0 : 1
  } finally {
    unsubscribe()
  }
}

/** Where the run ended and where its files are. */
export function renderOutcome(run: RunSummary): string {
  const lines: string[] = []
  const finalDir = path.join(run.runDir, 'final')
  lines.push(`Run ${run.id}: ${describeStatus(run)} at step ${formatSteps(run)} after ${formatDuration(run.durationSeconds)}`)
  if (run.finalLoss !== null || run.finalEvalLoss !== null) lines.push(`  final train loss ${formatLoss(run.finalLoss)}, eval loss ${formatLoss(run.finalEvalLoss)}`)
  if (run.failure) {
    lines.push(`  ${run.failure.message}`)
    for (const tip of run.failure.advice) lines.push(`  - ${tip}`)
    if (run.status === 'failed' && run.failure.outputTail.length > 0) {
      lines.push('  Last output:')
      for (const tail of run.failure.outputTail.slice(-15)) lines.push(`    ${tail}`)
    }
  }
  if (run.status === 'completed' || run.status === 'stopped') lines.push(`  Outputs:     ${finalDir}`)
  lines.push(`  Run folder:  ${run.runDir} (run.json, events.jsonl, output.log, checkpoints/)`)
  if (run.canResume) lines.push(`  Resume it:   localtune resume ${run.id}`)
  lines.push(`  Details:     localtune runs show ${run.id}`)
  return lines.join('\n')
}

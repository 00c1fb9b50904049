import { parseArgs } from 'node:util'
import { createCore } from '../../core/create-core'
import { UsageError, type CliCommand } from '../command'
import { describeStatus } from '../run-format'
import { reportUserError } from '../user-error'

// The app gives a run 60 s to stop before it kills it; from a terminal, wait longer and let the
// person decide.
const stopWaitMs = 5 * 60_000

export const stopCommand: CliCommand = {
  name: 'stop',
  summary: 'Stop a run (in this or another window or terminal): it finishes the step and saves a checkpoint',
  usage: [
    'localtune stop ID [--force] [--no-wait]',
    '',
    '  --force     kill it now (progress since the last checkpoint is lost)',
    '  --no-wait   ask and return; by default waits until it has stopped'
  ].join('\n'),
  async run(args, io, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: { force: { type: 'boolean', default: false }, 'no-wait': { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true
    })
    if (positionals.length !== 1) throw new UsageError('Give the ID of one run (`localtune runs` lists them).')
    const runId = positionals[0]!
    const core = createCore({ env: ctx.env, home: ctx.home })
    try {
      let run
      try {
        run = core.runs.stopRun(runId, { force: values.force })
      } catch (error) {
        return reportUserError(error, io)
      }
      if (run.status === 'cancelled' || values['no-wait']) {
        io.out(`Run ${runId}: ${describeStatus(run)}.`)
        return 0
      }
      io.err(`Asked run ${runId} to stop; waiting while it finishes its step and saves…`)
      let ended
      try {
        ended = await core.runs.waitForRun(runId, { timeoutMs: stopWaitMs })
      } catch (error) {
        reportUserError(error, io)
        io.err(`It may still be saving a large checkpoint: check with \`localtune runs\`, or kill it with \`localtune stop ${runId} --force\` (progress since its last checkpoint is lost).`)
        return 1
      }
      io.out(`Run ${runId}: ${describeStatus(ended)} at step ${ended.lastStep ?? 0}.${ended.canResume ? ` Resume it with: localtune resume ${runId}` : ''}`)
      return ended.status === 'stopped' || ended.status === 'completed' || ended.status === 'cancelled' ? 0 : 1
    } finally {
      core.close()
    }
  }
}

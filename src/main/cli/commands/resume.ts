import { parseArgs } from 'node:util'
import { createCore } from '../../core/create-core'
import { UsageError, type CliCommand } from '../command'
import { followRun } from '../follow-run'
import { reportUserError } from '../user-error'

export const resumeCommand: CliCommand = {
  name: 'resume',
  summary: 'Continue a stopped, failed or interrupted run from its last checkpoint',
  usage: [
    'localtune resume ID [--verbose]',
    '',
    'Continues in the same run folder, so its loss curve goes on where it was. Shows progress like `train`;',
    'Ctrl+C stops it gracefully again.',
    '',
    '  --verbose   show the runtime\'s own terminal output instead of the progress bar'
  ].join('\n'),
  async run(args, io, ctx) {
    const { values, positionals } = parseArgs({ args, options: { verbose: { type: 'boolean', default: false } }, allowPositionals: true, strict: true })
    if (positionals.length !== 1) throw new UsageError('Give the ID of one run (`localtune runs` lists them).')
    const runId = positionals[0]!
    const core = createCore({ env: ctx.env, home: ctx.home })
    try {
      try {
        core.runs.resumeRun(runId)
      } catch (error) {
        return reportUserError(error, io)
      }
      return await followRun(core, runId, io, ctx, { verbose: values.verbose })
    } finally {
      core.close()
    }
  }
}

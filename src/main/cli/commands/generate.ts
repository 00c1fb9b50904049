import { parseArgs } from 'node:util'
import { createCore } from '../../core/create-core'
import { UsageError, type CliCommand } from '../command'
import { reportUserError } from '../user-error'

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: "Generate text with a run's finetuned model (or its base model)",
  usage: [
    'localtune generate ID --prompt TEXT [--base] [--max-new-tokens N]',
    '',
    '  --prompt TEXT        used exactly as given: write it the way the training examples were (see `localtune runs show ID`)',
    '  --base               use the base model without the finetuned weights, to compare',
    '  --max-new-tokens N   at most this many new tokens (default 128)'
  ].join('\n'),
  async run(args, io, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: { prompt: { type: 'string' }, base: { type: 'boolean', default: false }, 'max-new-tokens': { type: 'string' } },
      allowPositionals: true,
      strict: true
    })
    if (positionals.length !== 1) throw new UsageError('Give the ID of one run (`localtune runs` lists them).')
    if (!values.prompt) throw new UsageError('--prompt TEXT is required.')
    const maxNewTokens = values['max-new-tokens'] === undefined ? 128 : Number(values['max-new-tokens'])
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new UsageError(`--max-new-tokens takes a whole number of at least 1, got "${values['max-new-tokens']}".`)
    const core = createCore({ env: ctx.env, home: ctx.home })
    try {
      const result = await core.runs.generate(positionals[0]!, { prompt: values.prompt, base: values.base, maxNewTokens })
      if (result.failure) {
        io.err([result.failure.message, ...result.failure.advice.map((tip) => `  - ${tip}`), ...result.failure.outputTail.slice(-10).map((line) => `    ${line}`)].join('\n'))
        return 1
      }
      io.out(result.text)
      return 0
    } catch (error) {
      return reportUserError(error, io)
    } finally {
      core.close()
    }
  }
}

import { parseArgs } from 'node:util'
import type { PlaygroundInput, PlaygroundModel } from '../../../shared/contract/runs'
import { createCore } from '../../core/create-core'
import { UsageError, type CliCommand } from '../command'
import { reportUserError } from '../user-error'

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: "Ask a run's finetuned model (or its base model), formatted as its training examples were",
  usage: [
    'localtune generate ID --instruction TEXT [--input TEXT] [--base|--compare] [--max-new-tokens N] [--temperature T]',
    'localtune generate ID --text TEXT            (a run trained on plain text: the model continues it)',
    'localtune generate ID --prompt TEXT          (experts: the prompt exactly as given, no formatting)',
    '',
    '  --instruction TEXT   what to ask; formatted with the run\'s own format (preamble, ### Instruction / ### Input /',
    '                       ### Response, or the model\'s chat template), exactly like the training examples',
    '  --input TEXT         the context (### Input), if the question has one',
    '  --base               answer with the base model without the finetuned weights',
    '  --compare            answer with the finetuned model, then with the base model',
    '  --max-new-tokens N   at most this many new tokens (default 128)',
    '  --temperature T      0 always picks the most likely token (default 0.7)',
    '',
    '`localtune runs show ID` prints the run\'s prompt format.'
  ].join('\n'),
  async run(args, io, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        instruction: { type: 'string' },
        input: { type: 'string' },
        text: { type: 'string' },
        prompt: { type: 'string' },
        base: { type: 'boolean', default: false },
        compare: { type: 'boolean', default: false },
        'max-new-tokens': { type: 'string' },
        temperature: { type: 'string' }
      },
      allowPositionals: true,
      strict: true
    })
    if (positionals.length !== 1) throw new UsageError('Give the ID of one run (`localtune runs` lists them).')
    const input = inputOf(values)
    if (values.base && values.compare) throw new UsageError('Choose one of --base and --compare.')
    const models: PlaygroundModel[] = values.compare ? ['finetuned', 'base'] : [values.base ? 'base' : 'finetuned']
    const maxNewTokens = values['max-new-tokens'] === undefined ? 128 : Number(values['max-new-tokens'])
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > 4096) throw new UsageError(`--max-new-tokens takes a whole number from 1 to 4096, got "${values['max-new-tokens']}".`)
    const temperature = values.temperature === undefined ? 0.7 : Number(values.temperature)
    if (!Number.isFinite(temperature) || temperature < 0 || temperature > 5) throw new UsageError(`--temperature takes a number from 0 to 5, got "${values.temperature}".`)
    const core = createCore({ env: ctx.env, home: ctx.home })
    try {
      const result = await core.runs.generate(positionals[0]!, { input, models, maxNewTokens, temperature })
      if (result.notice) io.err(result.notice)
      if (result.failure) {
        io.err([result.failure.message, ...result.failure.advice.map((tip) => `  - ${tip}`), ...result.failure.outputTail.slice(-10).map((line) => `    ${line}`)].join('\n'))
        return 1
      }
      for (const answer of result.answers) {
        const stopped = answer.stop === 'length' ? ` (stopped at ${maxNewTokens} new tokens)` : ''
        if (models.length > 1) io.out(`--- ${answer.model === 'base' ? 'base model' : 'finetuned model'}${stopped}`)
        else if (stopped) io.err(stopped.trim())
        io.out(answer.text)
      }
      return 0
    } catch (error) {
      return reportUserError(error, io)
    } finally {
      core.close()
    }
  }
}

function inputOf(values: { instruction?: string; input?: string; text?: string; prompt?: string }): PlaygroundInput {
  const given = [values.instruction !== undefined, values.text !== undefined, values.prompt !== undefined].filter(Boolean).length
  if (given !== 1) throw new UsageError('Give exactly one of --instruction TEXT (with an optional --input), --text TEXT or --prompt TEXT.')
  if (values.input !== undefined && values.instruction === undefined) throw new UsageError('--input goes with --instruction.')
  if (values.instruction !== undefined) {
    if (!values.instruction.trim()) throw new UsageError('--instruction is empty.')
    return { kind: 'fields', instruction: values.instruction, context: values.input ?? '' }
  }
  if (values.text !== undefined) {
    if (!values.text) throw new UsageError('--text is empty.')
    return { kind: 'text', text: values.text }
  }
  if (!values.prompt) throw new UsageError('--prompt is empty.')
  return { kind: 'raw', prompt: values.prompt }
}

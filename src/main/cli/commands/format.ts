import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { DatasetMapping, DatasetMode, TrainingFormatOptions } from '../../../shared/dataset/mapping'
import { datasetMappingSchema, mappedColumns } from '../../../shared/dataset/mapping'
import type { DatasetSummary } from '../../../shared/dataset/summary'
import type { ValidationSplit } from '../../../shared/dataset/validation-split'
import { validationSplitSchema } from '../../../shared/dataset/validation-split'
import { loadChatTemplate, loadModelChatTemplate } from '../../core/datasets/chat-template-file'
import { previewFirstRows } from '../../core/datasets/csv-preview'
import { exportTrainingData, InvalidRowsError } from '../../core/datasets/training-export'
import type { CliCommand } from '../command'
import { UsageError } from '../command'
import { progressPrinter } from './inspect'

const roleNames: Record<string, 'text' | 'prompt' | 'context' | 'response' | 'promptStart'> = {
  text: 'text',
  prompt: 'prompt',
  context: 'context',
  response: 'response',
  prompt_start: 'promptStart',
  promptstart: 'promptStart',
  'prompt-start': 'promptStart'
}

/** `prompt=instruction,context=input,response=output` (several --map flags add up). */
export function parseMapFlags(flags: readonly string[]): Map<string, string> {
  const roles = new Map<string, string>()
  for (const flag of flags) {
    for (const pair of flag.split(',')) {
      if (pair.trim() === '') continue
      const at = pair.indexOf('=')
      if (at <= 0 || at === pair.length - 1) throw new UsageError(`--map takes role=column pairs, like prompt=instruction; "${pair}" is not one.`)
      const roleName = pair.slice(0, at).trim().toLowerCase()
      const role = roleNames[roleName]
      if (!role) throw new UsageError(`--map: "${roleName}" is not a role. Roles: text (generic mode); prompt, context, response, prompt_start (chat mode).`)
      if (roles.has(role)) throw new UsageError(`--map gives the role "${roleName}" twice.`)
      roles.set(role, pair.slice(at + 1).trim())
    }
  }
  return roles
}

function isFolder(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory()
  } catch {
    return false
  }
}

function mappingFrom(mode: DatasetMode, roles: Map<string, string>): DatasetMapping {
  const candidate =
    mode === 'generic'
      ? { mode, text: roles.get('text') }
      : { mode, prompt: roles.get('prompt'), response: roles.get('response'), context: roles.get('context'), promptStart: roles.get('promptStart') }
  if (mode === 'generic' && [...roles.keys()].some((role) => role !== 'text')) throw new UsageError('Generic mode uses one column: --map text=<column>.')
  if (mode === 'chat' && roles.has('text')) throw new UsageError('Chat mode maps prompt, response and optionally context and prompt_start; "text" is for --mode generic.')
  const parsed = datasetMappingSchema.safeParse(JSON.parse(JSON.stringify(candidate)))
  if (!parsed.success) {
    const needed = mode === 'generic' ? 'text=<column>' : 'prompt=<column>,response=<column>'
    throw new UsageError(`--mode ${mode} needs --map ${needed}.`)
  }
  return parsed.data
}

function renderSummary(summary: DatasetSummary, outDir: string): string {
  const lines: string[] = []
  const n = (value: number): string => value.toLocaleString('en-US')
  lines.push(`Wrote ${path.join(outDir, summary.files.train)} (${n(summary.rows.train)} examples)`)
  if (summary.files.validation) lines.push(`Wrote ${path.join(outDir, summary.files.validation)} (${n(summary.rows.validation)} examples)`)
  lines.push(`Wrote ${path.join(outDir, 'dataset-summary.json')}`)
  lines.push(`Mode ${summary.mode} (${summary.style === 'chat-template' ? "the model's chat template" : 'LocalTune format'}): ${mappedColumns(summary.mapping).map((entry) => `${entry.role} ← "${entry.column}"`).join(', ')}`)
  if (summary.mode === 'chat') lines.push(`Loss on ${summary.trainOnResponseOnly ? 'the response only' : 'the whole text'}.`)
  lines.push(`Rows read ${n(summary.rows.read)}, trainable ${n(summary.rows.trainable)}, dropped ${n(summary.rows.dropped)}.`)
  if (summary.files.droppedRows) lines.push(`Every dropped row, with its reason: ${path.join(outDir, summary.files.droppedRows)}`)
  const split = summary.split
  if (split.kind === 'percent') lines.push(`Validation: ${split.percent}% of trainable rows${split.maxRows ? ` (at most ${n(split.maxRows)})` : ''}, seed ${split.seed}${split.rule ? ` — default: ${split.rule}` : ''}`)
  else if (split.kind === 'file') lines.push(`Validation: ${split.path}`)
  else lines.push(`Validation: none${split.rule ? ` — default: ${split.rule}` : ''}`)
  const warnings = summary.problems.filter((problem) => problem.severity !== 'info')
  if (warnings.length > 0) lines.push(`${n(warnings.length)} problem(s) while reading; see dataset-summary.json or run \`localtune inspect\`.`)
  return lines.join('\n')
}

export const formatCommand: CliCommand = {
  name: 'format',
  summary: 'Turn a CSV into train.jsonl / valid.jsonl (the exact training text) without the app',
  usage: [
    'localtune format <file.csv> --out DIR [--mode chat|generic] [--map ROLE=COLUMN,...] [options]',
    '',
    '  --out DIR             folder for train.jsonl, valid.jsonl and dataset-summary.json',
    '  --mode chat|generic   chat: prompt/context/response columns; generic: one text column',
    '  --map ROLE=COLUMN,..  chat: prompt=, response=, context= (optional), prompt_start= (optional)',
    '                        generic: text=. Without --map, the suggested mapping is used when',
    '                        LocalTune recognises the column names (see `localtune inspect`).',
    '  --prompt-start TEXT   preamble for rows without a prompt_start cell (default: the Alpaca preamble)',
    "  --chat-template PATH  use the model's chat template: its folder (chat_template.jinja or",
    '                        tokenizer_config.json, found as transformers finds it), or one of those files',
    '  --train-on-all        chat: learn from the prompt too (default: loss on the response only)',
    '  --no-header           the first row is data (columns are named column_1..N)',
    '  --header              the first row is a header (default: detected)',
    '  --valid-percent N     hold out N% of trainable rows for validation (seeded shuffle); 0 for no',
    '                        validation set (the app\'s "None")',
    '  --seed N              seed of that shuffle (default 42)',
    '  --valid-file F        use another CSV with the same columns as the validation set',
    '  --drop-invalid        leave out rows that cannot train (listed in dataset-summary.json);',
    '                        without it, such rows stop the command and nothing is written',
    '  --json                print dataset-summary.json instead of the human summary',
    '',
    'Without --valid-percent/--valid-file: fewer than 200 trainable rows get no validation split,',
    'otherwise 5% (at most 1,000 rows, seed 42). The CSV is only read, never changed.'
  ].join('\n'),
  async run(args, io, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        mode: { type: 'string' },
        map: { type: 'string', multiple: true },
        'prompt-start': { type: 'string' },
        'chat-template': { type: 'string' },
        'train-on-all': { type: 'boolean', default: false },
        'no-header': { type: 'boolean', default: false },
        header: { type: 'boolean', default: false },
        'valid-percent': { type: 'string' },
        seed: { type: 'string' },
        'valid-file': { type: 'string' },
        'drop-invalid': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false }
      },
      allowPositionals: true,
      strict: true
    })
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'Which CSV file? Give its path.' : `Give one CSV file, not ${positionals.length}.`)
    if (!values.out) throw new UsageError('Where should the files go? Give --out DIR.')
    if (values['no-header'] && values.header) throw new UsageError('Choose either --header or --no-header.')
    if (values['valid-percent'] !== undefined && values['valid-file'] !== undefined) throw new UsageError('Choose either --valid-percent or --valid-file, not both.')
    if (values.seed !== undefined && values['valid-percent'] === undefined) throw new UsageError('--seed goes with --valid-percent.')
    const mode = values.mode
    if (mode !== undefined && mode !== 'chat' && mode !== 'generic') throw new UsageError(`--mode is chat or generic, not "${mode}".`)
    const file = path.resolve(ctx.cwd, positionals[0] as string)
    const outDir = path.resolve(ctx.cwd, values.out)
    const hasHeader = values['no-header'] ? false : values.header ? true : undefined

    let split: ValidationSplit | undefined
    if (values['valid-percent'] !== undefined && values['valid-percent'].trim() !== '' && Number(values['valid-percent']) === 0) {
      // 0 % is the app's "None": no validation set at all.
      if (values.seed !== undefined) throw new UsageError('--seed shuffles the rows held out for validation; with --valid-percent 0 none are, so leave it out.')
      split = { kind: 'none' }
    } else if (values['valid-percent'] !== undefined) {
      const percent = Number(values['valid-percent'])
      const seed = values.seed === undefined ? undefined : Number(values.seed)
      const parsed = validationSplitSchema.safeParse({ kind: 'percent', percent, ...(seed === undefined ? {} : { seed }) })
      if (!parsed.success) throw new UsageError(`--valid-percent ${values['valid-percent']}${values.seed ? ` --seed ${values.seed}` : ''}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`)
      split = parsed.data
    } else if (values['valid-file'] !== undefined) {
      split = { kind: 'file', path: path.resolve(ctx.cwd, values['valid-file']) }
    }

    const roles = parseMapFlags(values.map ?? [])
    let mapping: DatasetMapping
    if (roles.size > 0) {
      mapping = mappingFrom((mode as DatasetMode | undefined) ?? (roles.has('text') ? 'generic' : 'chat'), roles)
    } else {
      const preview = await previewFirstRows(file, 0, hasHeader === undefined ? {} : { hasHeader })
      const suggestion = preview.suggestion
      if (!suggestion?.mapping || (mode !== undefined && suggestion.mapping.mode !== mode)) {
        const columns = preview.layout?.columns.map((name) => `"${name}"`).join(', ') ?? 'none'
        io.err(`LocalTune cannot tell which columns to use${mode ? ` for --mode ${mode}` : ''}. The file's columns: ${columns}. Give --map, e.g. --map prompt=<column>,response=<column>.`)
        return 2
      }
      mapping = suggestion.mapping
      io.err(`Using the suggested mapping (${suggestion.confidence} confidence): ${mappedColumns(mapping).map((entry) => `${entry.role}=${entry.column}`).join(',')}`)
      for (const line of suggestion.explanation) io.err(`  ${line}`)
    }

    const format: TrainingFormatOptions = {}
    if (values['prompt-start'] !== undefined) format.promptStartText = values['prompt-start']
    if (values['train-on-all']) format.trainOnResponseOnly = false
    if (values['chat-template'] !== undefined) {
      if (mapping.mode !== 'chat') throw new UsageError('--chat-template applies to chat mode only.')
      const templatePath = path.resolve(ctx.cwd, values['chat-template'])
      format.chatTemplate = isFolder(templatePath) ? (await loadModelChatTemplate(templatePath)).spec : await loadChatTemplate(templatePath)
    }

    const abort = new AbortController()
    void ctx.interrupted.then(() => abort.abort())
    const onProgress = progressPrinter(io, 'Formatting')
    try {
      const summary = await exportTrainingData({
        source: file,
        mapping,
        format,
        outDir,
        dropInvalidRows: values['drop-invalid'],
        signal: abort.signal,
        ...(hasHeader === undefined ? {} : { hasHeader }),
        ...(split ? { split } : {}),
        ...(onProgress ? { onProgress } : {})
      })
      io.out(values.json ? JSON.stringify(summary, null, 2) : renderSummary(summary, outDir))
      return 0
    } catch (error) {
      if (abort.signal.aborted) {
        io.err('Stopped; nothing was written.')
        return 130
      }
      if (error instanceof InvalidRowsError) {
        io.err(error.message)
        return 1
      }
      throw error
    }
  }
}

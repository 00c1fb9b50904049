import path from 'node:path'
import { parseArgs } from 'node:util'
import { exportFormatSchema, ggufQuantSchema, type ExportFormat, type ExportRecord, type GgufQuant } from '../../../shared/contract/exports'
import { UsageError, type CliCommand } from '../command'
import { formatBytes } from '../../../shared/units'
import { withCore } from '../with-core'

// Moves the cursor to the start of the line above and clears it, so the bar redraws in place.
const overwritePreviousLine = '\x1b[1A\x1b[2K'

const usage = [
  'localtune export RUN_ID --format adapter|merged|gguf [--quant TYPE] [--no-ollama] [--out DIR] [--json]',
  '',
  '  --format F      adapter: the PEFT adapter and tokenizer (small; needs the base model)',
  '                  merged:  the base model with the adapter merged in, as safetensors (transformers alone)',
  '                  gguf:    one file for Ollama, LM Studio and llama.cpp',
  `  --quant TYPE    gguf only: ${ggufQuantSchema.options.join(', ')} (default q8_0)`,
  '  --no-ollama     gguf only: do not write the Ollama Modelfile beside the file',
  '  --out DIR       where to write it (default: <home>/exports/RUN_ID/<format>[-<quant>])',
  '  --json          print the export record (files, verification, Modelfile) as JSON',
  '',
  'Before it starts it prints the estimated size and the free space, and refuses when the disk is too full.',
  'Every export is then loaded in the tool it is for (llama.cpp for GGUF, transformers/peft for the others)',
  'and must answer the run\'s own prompts with the same tokens as the trained model; the exit code is 1 when not.'
].join('\n')

function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`
}

export function describeExport(record: ExportRecord): string[] {
  const lines = [`${record.verification.summary}`, '', `${record.outDir}  (${formatBytes(record.totalBytes)})`]
  for (const file of record.files) lines.push(`  ${file.path.padEnd(40)} ${formatBytes(file.bytes)}`)
  for (const check of record.verification.templates) lines.push(`${check.matches ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`)
  for (const prompt of record.verification.prompts.filter((p) => p.firstDifference !== null || !p.tokensMatch)) {
    lines.push(`  prompt ending ${JSON.stringify(prompt.prompt.slice(-40))}: ${prompt.tokensMatch ? `answers part at token ${prompt.firstDifference} (trained model's gap there: ${prompt.marginAtDifference?.toFixed(2) ?? '?'} logits)` : 'tokenized differently'}`)
  }
  for (const instruction of record.instructions) {
    lines.push('', `${instruction.tool}:`, ...instruction.code.split('\n').map((line) => `  ${line}`), `  (${instruction.note})`)
  }
  for (const note of record.notes) lines.push('', `Note: ${note}`)
  return lines
}

export const exportCommand: CliCommand = {
  name: 'export',
  summary: "Export a run's model (adapter, merged safetensors or GGUF + Ollama Modelfile) and verify it answers like the trained model",
  usage,
  async run(args, io, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        format: { type: 'string' },
        quant: { type: 'string' },
        'no-ollama': { type: 'boolean', default: false },
        out: { type: 'string' },
        json: { type: 'boolean', default: false }
      },
      allowPositionals: true,
      strict: true
    })
    if (positionals.length !== 1) throw new UsageError('Give the ID of one run (`localtune runs` lists them).')
    const format = exportFormatSchema.safeParse(values.format)
    if (!format.success) throw new UsageError(`--format takes adapter, merged or gguf${values.format === undefined ? '' : `, got "${values.format}"`}.`)
    const quant = ggufQuantSchema.safeParse(values.quant ?? 'q8_0')
    if (!quant.success) throw new UsageError(`--quant takes one of ${ggufQuantSchema.options.join(', ')}, got "${values.quant}".`)
    if (format.data !== 'gguf' && (values.quant !== undefined || values['no-ollama'])) throw new UsageError('--quant and --no-ollama apply to --format gguf only.')
    const runId = positionals[0]!
    const options: { format: ExportFormat; quant: GgufQuant; ollama: boolean; outDir?: string } = { format: format.data, quant: quant.data, ollama: !values['no-ollama'] }
    if (values.out !== undefined) options.outDir = path.resolve(ctx.cwd, values.out)

    return withCore(ctx, io, async (core) => {
      let barShown = false
      let lastMessage = ''
      let lastQuarter = -1
      const unsubscribe = core.events.subscribe((name, payload) => {
        if (name !== 'exports.progress') return
        const progress = payload as { runId: string; stage: string; message: string; fraction: number | null }
        if (progress.runId !== runId) return
        const text = progress.fraction === null ? progress.message : `${bar(progress.fraction)} ${progress.message}`
        if (io.isTty) {
          // The bar redraws in place until its stage is complete.
          io.err(barShown ? `${overwritePreviousLine}${text}` : text)
          barShown = progress.fraction !== null && progress.fraction < 1
          return
        }
        // Into a file or a pipe: a line per message, and per quarter of a counted stage.
        const quarter = progress.fraction === null ? -1 : Math.floor(progress.fraction * 4)
        if (progress.message !== lastMessage || quarter !== lastQuarter) io.err(text)
        lastMessage = progress.message
        lastQuarter = quarter
      })
      try {
        // A folder typed on the command line is the user's own choice: confirmed, wherever it is.
        const confirmedPaths = options.outDir === undefined ? [] : [options.outDir]
        const plan = await core.handlers['exports.plan']({ runId, options: { ...options }, confirmedPaths })
        if (plan.refusal) {
          io.err(plan.refusal)
          return 1
        }
        const free = plan.freeBytes === null ? 'unknown free space' : `${formatBytes(plan.freeBytes)} free`
        io.err(`Export ${plan.format}${plan.quant ? ` ${plan.quant}` : ''} of run ${runId} to ${plan.outDir}: about ${formatBytes(plan.estimatedBytes)} (${free}).`)
        if (plan.replaces.length > 0) io.err(`It replaces ${plan.replaces.length} file(s) there: ${plan.replaces.slice(0, 5).join(', ')}${plan.replaces.length > 5 ? ', …' : ''}.`)
        const record = await core.handlers['exports.start']({ runId, options: { ...options }, confirmedPaths })
        if (values.json) io.out(JSON.stringify(record, null, 2))
        else io.out(describeExport(record).join('\n'))
        return record.verification.status === 'same' || record.verification.status === 'close' ? 0 : 1
      } finally {
        unsubscribe()
      }
    })
  }
}

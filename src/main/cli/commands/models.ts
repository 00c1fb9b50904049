import path from 'node:path'
import { parseArgs } from 'node:util'
import { formatParameterCount, weightsDtype } from '../../../shared/estimator/model-catalog-entry'
import { listModels } from '../../core/models/model-catalog'
import { TransferCancelledError, type TransferProgress } from '../../core/models/model-file-copy'
import { addModel, packModel } from '../../core/models/model-pack'
import { formatBytes } from '../../core/runtime/runtime-pack'
import { UsageError, type CliCommand, type CliContext, type CliIo } from '../command'

export { formatParameterCount }

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
}

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'List the models LocalTune can train: the demo, the Hugging Face cache, your folders',
  usage: [
    'localtune models [--json] [--folder DIR ...]',
    'localtune models pack MODEL --out DIR     copy a model (Hub id in the cache, or a folder) with its tokenizer and config',
    'localtune models add DIR [--id ORG/NAME]  put a packed folder into the Hugging Face cache (offline machine)',
    '',
    '  --folder DIR   also list the model(s) in DIR (a model folder, or a folder of model folders); repeatable',
    '  --json         print the catalog as JSON',
    '',
    'The Hugging Face cache is HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. Nothing is downloaded.'
  ].join('\n'),
  async run(args, io, ctx) {
    if (args[0] === 'pack' || args[0] === 'add') return packOrAdd(args[0], args.slice(1), io, ctx)
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, folder: { type: 'string', multiple: true, default: [] } }, strict: true, allowPositionals: false })
    const catalog = listModels({ env: ctx.env, folders: values.folder, cwd: ctx.cwd })
    if (values.json) {
      io.out(JSON.stringify(catalog, null, 2))
      return 0
    }
    io.out(`Hugging Face cache: ${catalog.cacheDir}${catalog.models.some((entry) => entry.source === 'hf-cache') ? '' : ' (no models there)'}`)
    const rows = [['MODEL', 'PARAMS', 'DTYPE', 'TOKENIZER', 'CHAT TEMPLATE', 'SOURCE']]
    for (const entry of catalog.models) {
      rows.push([
        entry.isDemo ? `${entry.id} (demo, CPU)` : entry.cpuCapable ? `${entry.id} (CPU: slowly)` : entry.id,
        entry.parameters ? `${formatParameterCount(entry.parameters.total)}${entry.parameters.source === 'config' ? '*' : ''}` : '?',
        weightsDtype(entry) ?? '?',
        entry.hasTokenizer ? 'yes' : 'no',
        entry.hasChatTemplate ? 'yes' : 'no',
        entry.source
      ])
    }
    for (const line of table(rows)) io.out(line)
    const counted = catalog.models.some((entry) => entry.parameters?.source === 'config')
    if (counted) io.out('* counted from config.json (no readable safetensors headers)')
    for (const entry of catalog.models) {
      for (const problem of entry.problems) io.out(`  ${entry.id}: ${problem}`)
    }
    return 0
  }
}

/** A one-line bar on a terminal; a line every 10% otherwise (logs, tests), the last at 100%. */
function copyProgressPrinter(io: CliIo, verb: string): (progress: TransferProgress) => void {
  let lastTenth = -1
  return ({ file, bytesDone, bytesTotal }) => {
    const fraction = bytesTotal > 0 ? Math.min(1, bytesDone / bytesTotal) : 1
    const text = `${formatBytes(bytesDone)} / ${formatBytes(bytesTotal)}`
    if (io.isTty) {
      const width = 30
      process.stderr.write(`\r[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${Math.floor(fraction * 100)}% ${text} ${file}   `)
      return
    }
    const tenth = Math.floor(fraction * 10)
    if (tenth > lastTenth) {
      lastTenth = tenth
      io.err(`${verb} ${text} (${file})`)
    }
  }
}

/** `models pack` / `models add`: carrying a model to an offline machine (core/models/model-pack.ts); Ctrl+C stops the copy and removes what it wrote. */
async function packOrAdd(sub: 'pack' | 'add', args: string[], io: CliIo, ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { out: { type: 'string' }, id: { type: 'string' } }, strict: true, allowPositionals: true })
  if (positionals.length !== 1) throw new UsageError(sub === 'pack' ? 'models pack needs one MODEL (a Hub id in the cache or a folder).' : 'models add needs one DIR (a folder made by `models pack`).')
  const target = positionals[0] as string
  if (sub === 'pack' && !values.out) throw new UsageError('models pack needs --out DIR.')
  const abort = new AbortController()
  void ctx.interrupted.then(() => abort.abort())
  const copy = { env: ctx.env, signal: abort.signal, onProgress: copyProgressPrinter(io, 'copied') }
  try {
    if (sub === 'pack') {
      const packed = await packModel(target, path.resolve(ctx.cwd, values.out as string), { ...copy, cwd: ctx.cwd })
      if (io.isTty) process.stderr.write('\n')
      io.out(`Packed ${packed.manifest.id}: ${packed.manifest.files.length} files, ${formatBytes(packed.bytes)}, in ${packed.dir}.\nOn the offline machine: localtune models add ${packed.dir}`)
      return 0
    }
    const added = await addModel(path.resolve(ctx.cwd, target), { ...copy, id: values.id ?? null })
    if (io.isTty) process.stderr.write('\n')
    io.out(`Added ${added.id} to the Hugging Face cache: ${added.snapshotDir}. Train it with --model ${added.id}.`)
    return 0
  } catch (error) {
    if (!(error instanceof TransferCancelledError)) throw error
    if (io.isTty) process.stderr.write('\n')
    io.err(sub === 'pack' ? 'Stopped: the partial pack was removed; the model is untouched.' : 'Stopped: nothing was added to the Hugging Face cache; the folder is untouched.')
    return 130
  }
}

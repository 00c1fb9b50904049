import { parseArgs } from 'node:util'
import { formatParameterCount, weightsDtype } from '../../../shared/estimator/model-catalog-entry'
import { listModels } from '../../core/models/model-catalog'
import type { CliCommand } from '../command'

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
    '',
    '  --folder DIR   also list the model(s) in DIR (a model folder, or a folder of model folders); repeatable',
    '  --json         print the catalog as JSON',
    '',
    'The Hugging Face cache is HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. Nothing is downloaded.'
  ].join('\n'),
  async run(args, io, ctx) {
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

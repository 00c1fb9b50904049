import fs from 'node:fs'
import path from 'node:path'
import type { RunResults } from '../../../shared/contract/runs'
import type { FinishedEvent } from '../../../shared/run-events'
import { readCompleteLines } from './events-tail'
import { eventsFile, parseEventLines } from './event-ingest'
import { trainFile } from './run-folder'
import type { RunRow } from './run-store'
import { TINY_DEMO_MODEL_ID } from '../../../shared/run-config/run-config-schema'
import { runConfigOf, runStatusOf } from './run-summary'
import { fieldsOfLocalTunePrompt } from './playground-prompt'
import { trainingMethodName } from '../../../shared/run-config'

export const finalDirName = 'final'

/** Every file under `dir` with its size, paths relative to `dir` with forward slashes, sorted. */
export function listFilesWithSizes(dir: string): Array<{ path: string; bytes: number }> {
  const files: Array<{ path: string; bytes: number }> = []
  const walk = (current: string, prefix: string) => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(current, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name)
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name
      if (entry.isDirectory()) walk(full, relative)
      else if (entry.isFile()) files.push({ path: relative, bytes: fs.statSync(full).size })
    }
  }
  walk(dir, '')
  return files.sort((a, b) => a.path.localeCompare(b.path))
}

function lastFinished(runDir: string): FinishedEvent | null {
  const { events } = parseEventLines(readCompleteLines(path.join(runDir, eventsFile), 0).lines)
  return [...events].reverse().find((event): event is FinishedEvent => event.type === 'finished') ?? null
}

/** The prompt of the first training example: exactly the format the model learned. */
function examplePrompt(runDir: string, mode: string): string {
  if (mode !== 'chat') return 'Once upon a time'
  try {
    const fd = fs.openSync(path.join(runDir, trainFile), 'r')
    const buffer = Buffer.alloc(64 * 1024)
    const read = fs.readSync(fd, buffer, 0, buffer.length, 0)
    fs.closeSync(fd)
    const firstLine = buffer.subarray(0, read).toString('utf8').split('\n')[0] ?? ''
    const prompt = (JSON.parse(firstLine) as { prompt?: unknown }).prompt
    if (typeof prompt === 'string' && prompt) return prompt
  } catch {
    // no readable example: fall through to a plain question
  }
  return 'How many centimetres are in an inch?'
}

/** A Python string literal (JSON's escaping is valid Python). */
const py = (text: string): string => JSON.stringify(text)

/** What a run produced and how to use it: files under final/, the model card, a snippet to copy. */
export function runResults(row: RunRow, runtimeDir: string): RunResults {
  const config = runConfigOf(row)
  const demo = config?.model.id === TINY_DEMO_MODEL_ID
  const outputDir = path.join(row.run_dir, finalDirName)
  const hasOutput = fs.existsSync(outputDir)
  const files = hasOutput ? listFilesWithSizes(outputDir) : []
  const cardFile = path.join(outputDir, 'README.md')
  const modelCard = fs.existsSync(cardFile) ? fs.readFileSync(cardFile, 'utf8') : null
  const base = {
    runId: row.id,
    status: runStatusOf(row),
    demo,
    outputDir: hasOutput ? outputDir : null,
    files,
    totalBytes: files.reduce((sum, file) => sum + file.bytes, 0),
    modelCard,
    examplePrompt: config ? examplePrompt(row.run_dir, config.mode) : null,
    playgroundInput: config?.mode === 'generic' ? ('text' as const) : ('fields' as const),
    exampleFields: null as { instruction: string; context: string } | null
  }
  if (config?.mode === 'chat' && base.examplePrompt) base.exampleFields = fieldsOfLocalTunePrompt(base.examplePrompt)
  if (!hasOutput || !config) return { ...base, snippet: null }
  const prompt = base.examplePrompt ?? examplePrompt(row.run_dir, config.mode)
  if (demo) {
    return {
      ...base,
      snippet: {
        language: 'shell',
        code: [
          `localtune generate ${row.id} --prompt ${shellQuote(prompt)}`,
          '',
          '# or the runtime itself, with the Python that trained it:',
          `PYTHONPATH=${shellQuote(runtimeDir)} python3 -m localtune_runtime generate --run-dir ${shellQuote(row.run_dir)} --prompt ${shellQuote(prompt)}`
        ].join('\n'),
        note: 'localtune/tiny-demo is a tiny byte-level demo model made from random weights: it learns the format of the data, not knowledge, and transformers cannot load it. Try it in the playground or with the command above.'
      }
    }
  }
  const finished = lastFinished(row.run_dir)
  const source = config.model.path ?? config.model.id
  const generateLines = [
    `prompt = ${py(prompt)}`,
    'inputs = tokenizer(prompt, return_tensors="pt").to(model.device)',
    'output = model.generate(**inputs, max_new_tokens=128)',
    'print(tokenizer.decode(output[0][inputs["input_ids"].shape[1]:], skip_special_tokens=True))'
  ]
  if (config.method === 'full' || (finished?.merged_path && !finished.adapter_path)) {
    return {
      ...base,
      snippet: {
        language: 'python',
        code: [
          'from transformers import AutoModelForCausalLM, AutoTokenizer',
          '',
          `model = AutoModelForCausalLM.from_pretrained(${py(outputDir)}, torch_dtype="auto", device_map="auto")`,
          `tokenizer = AutoTokenizer.from_pretrained(${py(outputDir)})`,
          '',
          ...generateLines
        ].join('\n'),
        note: `final/ holds the whole finetuned model (${config.method}); it loads like any Hugging Face model.`
      }
    }
  }
  const merged = finished?.merged_path ? path.join(row.run_dir, finished.merged_path) : null
  return {
    ...base,
    snippet: {
      language: 'python',
      code: [
        'from transformers import AutoModelForCausalLM, AutoTokenizer',
        'from peft import PeftModel',
        '',
        `base = AutoModelForCausalLM.from_pretrained(${py(source)}, torch_dtype="auto", device_map="auto"${config.model.trust_remote_code ? ', trust_remote_code=True' : ''})`,
        `model = PeftModel.from_pretrained(base, ${py(outputDir)})`,
        `tokenizer = AutoTokenizer.from_pretrained(${py(outputDir)})`,
        '',
        ...generateLines
      ].join('\n'),
      note:
        `final/ holds a ${trainingMethodName(config.method)} adapter for ${config.model.id}: load the base model, then the adapter with peft.` +
        (merged ? ` A merged copy (no peft needed) is in ${merged}.` : '') +
        ' The prompt is written the way the training examples were.'
    }
  }
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

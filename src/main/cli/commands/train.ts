import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { ProjectRunOverrides } from '../../../shared/contract/projects'
import { runNodesSchema, type DeviceChoice, type RunNodes, type RunSettings, type RunSummary } from '../../../shared/contract/runs'
import type { TrainingMethod } from '../../../shared/run-config/run-config-schema'
import { createCore } from '../../core/create-core'
import { demoDefaultMaxSteps } from '../../core/runs/demo-run'
import type { StartRunRequest } from '../../core/runs/run-supervisor'
import { UsageError, type CliCommand } from '../command'
import { followRun } from '../follow-run'
import { reportUserError } from '../user-error'
import { parseSetFlags } from '../param-flags'

const usage = [
  'localtune train --demo [--max-steps N] [--verbose]',
  'localtune train --project ID [--method M] [--set KEY=VALUE]... [--merge | --no-merge] [DEVICE] [--verbose]',
  'localtune train --data DIR --model ID|FOLDER [--method lora|full|qlora] [--set KEY=VALUE]... [--merge] [DEVICE] [--allow-downloads] [--verbose]',
  '',
  '  --demo             train the built-in tiny demo model on the bundled sample CSV, on the CPU (about a minute)',
  `  --max-steps N      demo only: how many steps (default ${demoDefaultMaxSteps})`,
  '  --project ID       a project made in the app: its model, settings and formatted data; --method, --set and',
  '                     --merge/--no-merge change them for this run only (the project keeps its own)',
  '  --data DIR         a folder written by `localtune format` (train.jsonl, valid.jsonl, dataset-summary.json)',
  '  --model ID|FOLDER  a Hugging Face model id in your HF cache (e.g. Qwen/Qwen2.5-0.5B) or a folder with config.json',
  '  --method M         lora (default), full or qlora',
  '  --set KEY=VALUE    a training param, e.g. --set learning_rate=1e-4 --set lora.r=8 --set precision=fp32 (repeatable)',
  '  --merge            LoRA/QLoRA: also save the base model with the adapter merged in (final/merged/, loads without peft)',
  '  --no-merge         with --project: do not save the merged model even if the project does',
  '  --allow-downloads  let the runtime download missing model files (default: offline)',
  '  --verbose          show the runtime\'s own terminal output instead of the progress bar',
  '',
  'DEVICE (default: the first GPU, else the CPU; one run per device, others queue):',
  '  --cpu              train on the CPU',
  '  --gpu N            train on GPU N (the numbers `localtune doctor` shows)',
  '  --gpus LIST|all    train on several GPUs at once, e.g. --gpus 0,1,2,3 or --gpus all: one torchrun rank per GPU;',
  '                     the run waits until all of them are free',
  '  --processes N      train as N CPU processes (torchrun ranks, gloo): for trying distributed training on a machine',
  '                     without GPUs; it is not faster than one process',
  '  --nnodes N --node-rank R --rdzv HOST:PORT',
  '                     one of N machines training together (what torchrun takes): start the same command on each',
  '                     machine with its own rank 0..N-1 and the same HOST:PORT, one every machine reaches',
  '',
  'Effective batch = micro_batch_size × gradient_accumulation_steps × ranks (GPUs or processes, times machines).',
  'Ctrl+C stops the run gracefully: it finishes the step and saves a checkpoint (`localtune resume ID` continues it).'
].join('\n')

interface DeviceFlags {
  cpu?: boolean
  gpu?: string
  gpus?: string
  processes?: string
  nnodes?: string
  'node-rank'?: string
  rdzv?: string
}

/** A whole number from a flag, or a usage error that names the flag and the value. */
function wholeNumber(flag: string, value: string, min: number, what: string): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(number) || number < min) throw new UsageError(`${flag} takes ${what}, got "${value}".`)
  return number
}

function gpuListFrom(value: string): number[] | 'all' {
  if (value.trim().toLowerCase() === 'all') return 'all'
  const parts = value.split(',').map((part) => part.trim())
  if (parts.some((part) => !/^\d+$/.test(part))) {
    throw new UsageError(`--gpus takes GPU numbers separated by commas (e.g. --gpus 0,1) or "all", got "${value}". \`localtune doctor\` lists the GPUs.`)
  }
  const indices = parts.map(Number)
  const repeated = indices.find((index, at) => indices.indexOf(index) !== at)
  if (repeated !== undefined) throw new UsageError(`--gpus names GPU ${repeated} twice ("${value}"); list each GPU once.`)
  return indices
}

function nodesFrom(values: DeviceFlags): RunNodes | undefined {
  const given = [values.nnodes, values['node-rank'], values.rdzv].filter((value) => value !== undefined).length
  if (given === 0) return undefined
  if (given < 3) throw new UsageError('Training on several machines needs all three of --nnodes N, --node-rank R and --rdzv HOST:PORT (the same N and HOST:PORT on every machine).')
  const count = wholeNumber('--nnodes', values.nnodes!, 2, 'the number of machines, at least 2 (leave it out for one machine)')
  const rank = wholeNumber('--node-rank', values['node-rank']!, 0, `this machine's number, 0 to ${count - 1}`)
  if (rank >= count) throw new UsageError(`--node-rank is this machine's number, 0 to ${count - 1} with --nnodes ${count}, got "${values['node-rank']}".`)
  const parsed = runNodesSchema.safeParse({ count, rank, rendezvous: values.rdzv!.trim() })
  if (!parsed.success) throw new UsageError(`--rdzv takes HOST:PORT that every machine reaches, e.g. --rdzv 10.0.0.1:29500, got "${values.rdzv}".`)
  const port = Number(parsed.data.rendezvous.slice(parsed.data.rendezvous.lastIndexOf(':') + 1))
  if (port < 1 || port > 65535) throw new UsageError(`--rdzv port must be 1 to 65535, got "${values.rdzv}".`)
  return parsed.data
}

function deviceFrom(values: DeviceFlags): DeviceChoice | undefined {
  const chosen = [values.cpu ? '--cpu' : null, values.gpu !== undefined ? '--gpu' : null, values.gpus !== undefined ? '--gpus' : null].filter((flag) => flag !== null)
  if (chosen.length > 1) throw new UsageError(`Give one of --cpu, --gpu N or --gpus LIST, not ${chosen.join(' and ')}.`)
  if (values.processes !== undefined && (values.gpu !== undefined || values.gpus !== undefined)) {
    throw new UsageError('--processes is for CPU ranks; on GPUs each GPU is one rank: choose them with --gpus (e.g. --gpus 0,1).')
  }
  const nodes = nodesFrom(values)
  const withNodes = nodes ? { nodes } : {}
  if (values.processes !== undefined) {
    const processes = wholeNumber('--processes', values.processes, 1, 'the number of CPU processes to train with, e.g. --processes 2')
    if (processes > 256) throw new UsageError(`--processes takes at most 256 CPU processes, got "${values.processes}".`)
    return { kind: 'cpu', processes, ...withNodes }
  }
  if (values.cpu) return { kind: 'cpu', ...withNodes }
  if (values.gpus !== undefined) return { kind: 'gpus', indices: gpuListFrom(values.gpus), ...withNodes }
  if (values.gpu !== undefined) {
    if (values.gpu.includes(',')) throw new UsageError(`--gpu takes one GPU number; for several use --gpus ${values.gpu}.`)
    return { kind: 'gpu', index: wholeNumber('--gpu', values.gpu, 0, 'a GPU number like 0'), ...withNodes }
  }
  if (nodes) throw new UsageError('With --nnodes, say which devices this machine trains on: --gpus LIST|all, --gpu N, --cpu or --processes N.')
  return undefined
}

/** "GPUs 0, 1", "the CPU", plus the machines when there are several: where a distributed run's ranks are. */
function whereRanksRun(run: RunSummary): string {
  const here = run.gpuIndices.length === 0 ? 'the CPU' : `GPU${run.gpuIndices.length > 1 ? 's' : ''} ${run.gpuIndices.join(', ')}`
  return run.nodes > 1 ? `${here} of each of ${run.nodes} machines` : here
}

function methodFrom(value: string): TrainingMethod {
  if (value !== 'lora' && value !== 'full' && value !== 'qlora') throw new UsageError(`--method is lora, full or qlora, got "${value}".`)
  return value
}

/** Reads what `localtune format` wrote: the mode, the files, and the CSV's name. */
function formattedData(dir: string): { mode: 'chat' | 'generic'; train: string; valid: string | null; label: string } {
  const summaryFile = path.join(dir, 'dataset-summary.json')
  let summary: { mode?: unknown; files?: { train?: unknown; validation?: unknown }; source?: { fileName?: unknown } }
  try {
    summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'))
  } catch {
    throw new UsageError(`${summaryFile} is missing or unreadable: --data takes a folder written by \`localtune format CSV --out DIR\`.`)
  }
  if (summary.mode !== 'chat' && summary.mode !== 'generic') throw new UsageError(`${summaryFile} names no mode (chat or generic); format the CSV again.`)
  const train = typeof summary.files?.train === 'string' ? path.join(dir, summary.files.train) : path.join(dir, 'train.jsonl')
  const valid = typeof summary.files?.validation === 'string' ? path.join(dir, summary.files.validation) : null
  const label = typeof summary.source?.fileName === 'string' ? summary.source.fileName : path.basename(dir)
  return { mode: summary.mode, train, valid, label }
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'Train a model (or the built-in demo) and show its progress; Ctrl+C stops it gracefully',
  usage,
  async run(args, io, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        demo: { type: 'boolean', default: false },
        project: { type: 'string' },
        'max-steps': { type: 'string' },
        data: { type: 'string' },
        model: { type: 'string' },
        method: { type: 'string' },
        set: { type: 'string', multiple: true },
        merge: { type: 'boolean' },
        'no-merge': { type: 'boolean' },
        cpu: { type: 'boolean', default: false },
        gpu: { type: 'string' },
        gpus: { type: 'string' },
        processes: { type: 'string' },
        nnodes: { type: 'string' },
        'node-rank': { type: 'string' },
        rdzv: { type: 'string' },
        'allow-downloads': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false }
      },
      strict: true
    })
    const sources = [values.demo, values.project !== undefined, values.data !== undefined].filter(Boolean).length
    if (sources !== 1) throw new UsageError('Give one of --demo, --project ID, or --data DIR with --model.')
    const device = deviceFrom(values)
    let maxSteps: number | undefined
    if (values['max-steps'] !== undefined) {
      maxSteps = Number(values['max-steps'])
      if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new UsageError(`--max-steps takes a whole number of at least 1, got "${values['max-steps']}".`)
      if (!values.demo) throw new UsageError('--max-steps is for --demo; for your data use --set max_steps=N.')
    }

    let startRequest: StartRunRequest | null = null
    if (values.merge && values['no-merge']) throw new UsageError('Give either --merge or --no-merge, not both.')
    const method = values.method === undefined ? undefined : methodFrom(values.method)
    let overrides: ProjectRunOverrides | undefined
    if (values.demo) {
      if (values.model || values.method || values.set || device || values.merge || values['no-merge']) throw new UsageError('--demo chooses its own model, method, params and device (the CPU).')
    } else if (values.project !== undefined) {
      if (values.model) throw new UsageError('--project trains the model saved in the project; to train another model, make a new project or use --data DIR --model ID.')
      const merge = values.merge ? true : values['no-merge'] ? false : undefined
      if (method !== undefined || values.set || merge !== undefined) {
        overrides = { ...(method ? { method } : {}), ...(values.set ? { params: parseSetFlags(values.set) } : {}), ...(merge !== undefined ? { merge } : {}) }
      }
    } else {
      if (!values.model) throw new UsageError('--data needs --model ID|FOLDER: the base model to finetune.')
      if (values['no-merge']) throw new UsageError('--no-merge is for --project (a new run saves no merged model unless --merge is given).')
      const data = formattedData(path.resolve(ctx.cwd, values.data!))
      const modelFolder = path.resolve(ctx.cwd, values.model)
      const isFolder = fs.existsSync(path.join(modelFolder, 'config.json'))
      const settings: RunSettings = {
        model: { id: isFolder ? path.basename(modelFolder) : values.model, path: isFolder ? modelFolder : null, trust_remote_code: false, allow_downloads: values['allow-downloads'] },
        method: method ?? 'lora',
        mode: data.mode,
        params: parseSetFlags(values.set ?? []) as RunSettings['params'],
        merge: values.merge === true
      }
      startRequest = { projectId: null, settings, trainJsonl: data.train, validJsonl: data.valid, device, datasetLabel: data.label }
    }

    const core = createCore({ env: ctx.env, home: ctx.home })
    try {
      let runId: string
      try {
        const run = startRequest
          ? await core.runs.startRun(startRequest)
          : values.project !== undefined
            ? await core.handlers['projects.start-run']({ projectId: values.project, ...(device ? { device } : {}), ...(overrides ? { overrides } : {}) })
            : await core.runs.startDemoRun({ maxSteps })
        runId = run.id
        io.err(`Run ${run.id} created in ${run.runDir}${run.ranks > 1 ? `, to train as ${run.ranks} ranks on ${whereRanksRun(run)}` : ''}`)
      } catch (error) {
        return reportUserError(error, io)
      }
      return await followRun(core, runId, io, ctx, { verbose: values.verbose })
    } finally {
      core.close()
    }
  }
}

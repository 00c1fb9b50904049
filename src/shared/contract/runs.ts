import { z } from 'zod'
import { runConfigSchema, trainingMethodSchema } from '../run-config/run-config-schema'
import { runEventSchema } from '../run-events'
import { confirmedPathsSchema } from './confirmed-paths'
import { defineChannel, defineEventStream } from './define'
import { riskyModelSettingSchema } from './risky-model-settings'

/**
 * queued: waiting for its device (one job per GPU; the CPU counts as one device).
 * running / stopping: the runtime process is alive; stopping = asked to finish the step and save.
 * completed: every step done. stopped: stopped on request, after saving. stopped_forcibly: it
 * did not stop in time and was killed. failed: see `failure`. interrupted: LocalTune closed or
 * crashed while it ran; resumable. cancelled: removed from the queue before it started.
 */
export const runStatusSchema = z.enum(['queued', 'running', 'stopping', 'completed', 'stopped', 'stopped_forcibly', 'failed', 'interrupted', 'cancelled'])
export type RunStatus = z.infer<typeof runStatusSchema>

export const runFailureSchema = z.object({
  /** What happened, in a sentence a person can act on. */
  message: z.string(),
  /** The runtime's error kind (out_of_memory, data, …), or null when it died without a word. */
  kind: z.string().nullable(),
  /** Concrete things to try, best first. */
  advice: z.array(z.string()),
  exitCode: z.number().int().nullable(),
  /** e.g. "SIGKILL" */
  signal: z.string().nullable(),
  /** The last lines the runtime printed, escape codes removed. */
  outputTail: z.array(z.string())
})
export type RunFailure = z.infer<typeof runFailureSchema>

/**
 * Several machines training one run: what torchrun's c10d rendezvous needs. Every machine starts
 * the same run with the same count and endpoint and its own rank; rank 0's machine writes the
 * events and outputs.
 */
export const runNodesSchema = z
  .object({
    /** Machines in the run (torchrun --nnodes). */
    count: z.number().int().min(2).max(1024),
    /** This machine's place among them, 0-based (torchrun --node-rank). */
    rank: z.number().int().min(0),
    /** HOST:PORT every machine reaches (torchrun --rdzv-endpoint), usually node 0's address. */
    rendezvous: z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):\d{1,5}$/, 'HOST:PORT, e.g. 10.0.0.1:29500')
  })
  .refine((nodes) => nodes.rank < nodes.count, { message: 'the node rank must be below the number of nodes', path: ['rank'] })
export type RunNodes = z.infer<typeof runNodesSchema>

/** One device, for what measures on one (estimate verification, the playground). */
export const singleDeviceChoiceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cpu') }),
  z.object({ kind: z.literal('gpu'), index: z.number().int().min(0) })
])
export type SingleDeviceChoice = z.infer<typeof singleDeviceChoiceSchema>

/**
 * Where a run trains. One GPU (`gpu`) is what a run always was; `gpus` trains on several (or on
 * 'all' the runtime sees, resolved when the run is created) as torchrun ranks, one per GPU;
 * `cpu` with `processes` above 1 runs that many CPU ranks (gloo), to try distributed training on
 * a machine without GPUs. `nodes` spreads the run over several machines.
 */
export const deviceChoiceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cpu'), processes: z.number().int().min(1).max(256).optional(), nodes: runNodesSchema.optional() }),
  z.object({ kind: z.literal('gpu'), index: z.number().int().min(0), nodes: runNodesSchema.optional() }),
  z.object({
    kind: z.literal('gpus'),
    indices: z.union([
      z.literal('all'),
      z
        .array(z.number().int().min(0))
        .min(1)
        .refine((indices) => new Set(indices).size === indices.length, 'each GPU once')
    ]),
    nodes: runNodesSchema.optional()
  })
])
export type DeviceChoice = z.infer<typeof deviceChoiceSchema>

export const runSummarySchema = z.object({
  id: z.string(),
  projectId: z.string().nullable(),
  /** Trained the built-in tiny demo model (not a real language model). */
  demo: z.boolean(),
  status: runStatusSchema,
  /** 1-based place in its device's queue while queued. */
  queuePosition: z.number().int().nullable(),
  baseModel: z.string(),
  method: z.string(),
  mode: z.string(),
  /** What it trained on, as the user knows it (the CSV's name). */
  dataset: z.string().nullable(),
  /** "cpu", "cuda:N", or "cuda:N,M,…" for several GPUs: the devices it queues on. */
  device: z.string(),
  /** What the runtime reported, e.g. "cuda:0 (NVIDIA GeForce RTX 4090)". */
  deviceLabel: z.string().nullable(),
  /** The GPUs it trains on, by nvidia-smi index, one rank each; empty on the CPU. */
  gpuIndices: z.array(z.number().int()),
  /** Training processes over all its machines (torchrun's world size); 1 for a plain run. */
  ranks: z.number().int().min(1),
  /** Machines it trains on (1 unless started with several nodes). */
  nodes: z.number().int().min(1),
  lastStep: z.number().int().nullable(),
  totalSteps: z.number().int().nullable(),
  finalLoss: z.number().nullable(),
  finalEvalLoss: z.number().nullable(),
  peakMemoryBytes: z.number().nullable(),
  /** Seconds the runtime has been running, over every attempt (resumes add up). */
  durationSeconds: z.number(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  runDir: z.string(),
  failure: runFailureSchema.nullable(),
  /** A checkpoint exists (or nothing was trained yet) and no process is alive: resume can continue it. */
  canResume: z.boolean(),
  pid: z.number().int().nullable()
})
export type RunSummary = z.infer<typeof runSummarySchema>

export const runCheckpointSchema = z.object({ step: z.number().int(), path: z.string(), createdAt: z.string() })

export const runDetailSchema = runSummarySchema.extend({
  config: runConfigSchema,
  /** Checkpoints still on disk (the runtime keeps only the newest few). */
  checkpoints: z.array(runCheckpointSchema)
})
export type RunDetail = z.infer<typeof runDetailSchema>

export const metricKindSchema = z.enum(['train', 'eval'])
export type MetricKind = z.infer<typeof metricKindSchema>

/** Columns, not rows: charts (uPlot) take one array per series, all aligned on `step`. */
export const runMetricsSchema = z.object({
  runId: z.string(),
  kind: metricKindSchema,
  step: z.array(z.number()),
  loss: z.array(z.number().nullable()),
  lr: z.array(z.number().nullable()),
  gradNorm: z.array(z.number().nullable()),
  tokensPerSecond: z.array(z.number().nullable()),
  epoch: z.array(z.number().nullable()),
  gpuMemoryBytes: z.array(z.number().nullable()),
  /** Unix seconds when the runtime wrote each point. */
  time: z.array(z.number())
})
export type RunMetrics = z.infer<typeof runMetricsSchema>

export const runComparisonSchema = z.object({
  runs: z.tuple([runSummarySchema, runSummarySchema]),
  /** Settings that differ, dotted as in run.json (e.g. "params.learning_rate"), values as JSON text. */
  differences: z.array(z.object({ setting: z.string(), a: z.string(), b: z.string() })),
  train: z.tuple([runMetricsSchema, runMetricsSchema]),
  eval: z.tuple([runMetricsSchema, runMetricsSchema])
})
export type RunComparison = z.infer<typeof runComparisonSchema>

export const projectRunsSchema = z.object({
  /** null groups the runs that belong to no project (the demo). */
  projectId: z.string().nullable(),
  name: z.string(),
  runs: z.array(runSummarySchema)
})
export type ProjectRuns = z.infer<typeof projectRunsSchema>

export const runResultsSchema = z.object({
  runId: z.string(),
  status: runStatusSchema,
  demo: z.boolean(),
  /** The final/ folder, or null when the run saved nothing yet. */
  outputDir: z.string().nullable(),
  /** Files under final/, paths relative to it. */
  files: z.array(z.object({ path: z.string(), bytes: z.number().int() })),
  totalBytes: z.number().int(),
  /** final/README.md, the model card the runtime wrote. */
  modelCard: z.string().nullable(),
  /** How to use the result outside LocalTune, ready to copy. */
  snippet: z.object({ language: z.enum(['python', 'shell']), code: z.string(), note: z.string() }).nullable(),
  /** The prompt part of the first training example (chat mode): the playground starts from it. */
  examplePrompt: z.string().nullable(),
  /** How the playground asks: 'fields' (instruction + input, chat runs) or 'text' (generic runs). */
  playgroundInput: z.enum(['fields', 'text']),
  /** The first training example's instruction and input, when its prompt shows them (LocalTune format). */
  exampleFields: z.object({ instruction: z.string(), context: z.string() }).nullable()
})
export type RunResults = z.infer<typeof runResultsSchema>

/** Which model answers in the playground: the run's finetuned one, or the base it started from. */
export const playgroundModelSchema = z.enum(['finetuned', 'base'])
export type PlaygroundModel = z.infer<typeof playgroundModelSchema>

/**
 * What the person asks. `fields` and `text` are formatted exactly like the training examples
 * (the same shared formatter, with the run's preamble or chat template); `raw` is a prompt used
 * as typed, for experts.
 */
export const playgroundInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fields'), instruction: z.string().trim().min(1), context: z.string().default('') }),
  z.object({ kind: z.literal('text'), text: z.string().min(1) }),
  z.object({ kind: z.literal('raw'), prompt: z.string().min(1) })
])
export type PlaygroundInput = z.infer<typeof playgroundInputSchema>

export const playgroundAnswerSchema = z.object({
  model: playgroundModelSchema,
  text: z.string(),
  /** 'end': the model wrote its end-of-answer token; 'length': it reached max new tokens. */
  stop: z.enum(['end', 'length']),
  newTokens: z.number().int(),
  promptTokens: z.number().int()
})
export type PlaygroundAnswer = z.infer<typeof playgroundAnswerSchema>

export const generateResultSchema = z.object({
  requestId: z.string(),
  /** The prompt exactly as the model read it (after formatting). */
  prompt: z.string(),
  answers: z.array(playgroundAnswerSchema),
  /** Something the person should know about this answer (e.g. it ran on the CPU because a run holds the GPU). */
  notice: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  failure: runFailureSchema.nullable()
})
export type GenerateResult = z.infer<typeof generateResultSchema>

/** What the demo will do, shown before it starts: data, model, device and a rough time. */
export const demoPlanSchema = z.object({
  csvName: z.string(),
  /** Data rows of the sample CSV, and how they split into training and validation examples. */
  rows: z.number().int(),
  trainExamples: z.number().int(),
  validExamples: z.number().int(),
  model: z.string(),
  modelParameters: z.number().int(),
  device: z.literal('cpu'),
  cpuCores: z.number().int(),
  defaultMaxSteps: z.number().int(),
  maxStepsLimit: z.number().int(),
  microBatchSize: z.number().int(),
  maxLength: z.number().int(),
  /** Seconds per step: measured by this machine's last demo run, else estimated from the model's FLOPs. */
  secondsPerStep: z.object({ low: z.number(), high: z.number(), source: z.enum(['measured', 'estimated']), basis: z.string() })
})
export type DemoPlan = z.infer<typeof demoPlanSchema>

/** The parts of run.json the user chooses; LocalTune fills in the run id and the data files. */
export const runSettingsSchema = runConfigSchema.pick({ model: true, method: true, mode: true, params: true, merge: true })
export type RunSettings = z.input<typeof runSettingsSchema>

const runIdRequest = z.object({ runId: z.string().min(1) })

export const runsChannels = {
  'runs.start-demo': defineChannel({
    summary: 'Train the built-in tiny demo model on the bundled sample CSV, on the CPU',
    request: z.object({ maxSteps: z.number().int().min(1).max(10_000).optional() }),
    response: runSummarySchema
  }),
  'runs.demo-plan': defineChannel({
    summary: 'What the demo would train, where, and roughly how long it takes, before it starts',
    request: z.object({}),
    response: demoPlanSchema
  }),
  'runs.open-folder': defineChannel({
    summary: "Show a run's output folder (or the run folder) in the system's file manager; only hosts with a desktop can",
    request: runIdRequest,
    response: z.object({ opened: z.literal(true), path: z.string() })
  }),
  'runs.start': defineChannel({
    summary: 'Queue a training run on formatted data (train.jsonl / valid.jsonl) with these settings',
    request: z.object({
      projectId: z.string().min(1).nullable(),
      settings: runSettingsSchema,
      /** Absolute paths of the formatted examples; they are copied into the run folder. */
      trainJsonl: z.string().min(1),
      validJsonl: z.string().min(1).nullable().default(null),
      device: deviceChoiceSchema.optional(),
      /** The dataset's name as the user knows it; defaults to the project's CSV name. */
      datasetLabel: z.string().optional(),
      /** The risky model settings the user confirmed (risky-model-settings.ts); others are refused. */
      confirmedRisks: z.array(riskyModelSettingSchema).default([]),
      confirmedPaths: confirmedPathsSchema
    }),
    response: runSummarySchema
  }),
  'runs.stop': defineChannel({
    summary: 'Stop a run: finish the step, save a checkpoint (killed after the stop timeout); dequeue a queued one',
    request: runIdRequest.extend({ force: z.boolean().default(false) }),
    response: runSummarySchema
  }),
  'runs.resume': defineChannel({
    summary: 'Continue a stopped, failed or interrupted run from its last checkpoint, in the same folder',
    request: runIdRequest,
    response: runSummarySchema
  }),
  'runs.run-again': defineChannel({
    summary: 'Start a new run with the settings and data of an earlier one, with some params (and the method, device or merge) changed',
    request: runIdRequest.extend({
      paramsPatch: z.record(z.string(), z.unknown()).default({}),
      /** Another method than the earlier run's (e.g. LoRA instead of QLoRA on a machine without CUDA). */
      method: trainingMethodSchema.optional(),
      /** Another device than the earlier run's. */
      device: deviceChoiceSchema.optional(),
      /** Also write the merged model (LoRA/QLoRA), or not. */
      merge: z.boolean().optional()
    }),
    response: runSummarySchema
  }),
  'runs.list': defineChannel({
    summary: 'Every run, newest first (optionally of one project)',
    request: z.object({ projectId: z.string().nullable().optional() }),
    response: z.object({ runs: z.array(runSummarySchema) })
  }),
  'runs.projects': defineChannel({
    summary: 'Projects with their runs, newest first; runs without a project in their own group',
    request: z.object({}),
    response: z.object({ projects: z.array(projectRunsSchema) })
  }),
  'runs.get': defineChannel({
    summary: 'One run with its settings and checkpoints',
    request: runIdRequest,
    response: runDetailSchema
  }),
  'runs.metrics': defineChannel({
    summary: 'Loss and other curves of a run, as columns aligned on step (only steps after sinceStep)',
    request: runIdRequest.extend({ kind: metricKindSchema.default('train'), sinceStep: z.number().int().min(0).optional() }),
    response: runMetricsSchema
  }),
  'runs.compare': defineChannel({
    summary: 'Two runs side by side: settings that differ and both curves',
    request: z.object({ a: z.string().min(1), b: z.string().min(1) }),
    response: runComparisonSchema
  }),
  'runs.delete': defineChannel({
    summary: 'Delete a run that is not running: its folder and its rows',
    request: runIdRequest,
    response: z.object({ deleted: z.literal(true) })
  }),
  'runs.results': defineChannel({
    summary: 'What a run produced: files with sizes, model card, a snippet to use it',
    request: runIdRequest,
    response: runResultsSchema
  }),
  'runs.generate': defineChannel({
    summary: "Answer a prompt with a run's finetuned model and/or its base, one after the other; streams playground.output",
    request: runIdRequest.extend({
      input: playgroundInputSchema,
      models: z.array(playgroundModelSchema).min(1).max(2).default(['finetuned']),
      maxNewTokens: z.number().int().min(1).max(4096).default(128),
      /** 0 always picks the most likely token (the same answer every time). */
      temperature: z.number().min(0).max(5).default(0.7),
      /** Chosen by the caller to match playground.output events; one is made up when absent. */
      requestId: z.string().min(1).optional()
    }),
    response: generateResultSchema
  }),
  'runs.resize-terminal': defineChannel({
    summary: "Resize the pseudo-terminal of a running run to the UI's terminal view",
    request: runIdRequest.extend({ cols: z.number().int().min(10).max(1000), rows: z.number().int().min(2).max(500) }),
    response: z.object({ resized: z.boolean() })
  }),
  'runs.output-tail': defineChannel({
    summary: "The end of a run's terminal output (output.log), to fill a terminal view opened mid-run",
    request: runIdRequest.extend({ maxBytes: z.number().int().min(1).max(8 * 1024 * 1024).default(256 * 1024) }),
    response: z.object({ runId: z.string(), data: z.string(), truncated: z.boolean() })
  })
}

export const runsEventStreams = {
  'run.output': defineEventStream({
    summary: "A run's terminal output, batched (about every 50 ms, size-capped; output.log has all of it)",
    payload: z.object({ runId: z.string(), data: z.string() })
  }),
  'run.event': defineEventStream({
    summary: 'One validated line of events.jsonl (progress, eval, checkpoint, warning, error, …), after it is stored',
    payload: z.object({ runId: z.string(), event: runEventSchema })
  }),
  'run.status': defineEventStream({
    summary: 'A run changed status or queue position; carries the whole summary',
    payload: z.object({ runId: z.string(), status: runStatusSchema, queuePosition: z.number().int().nullable(), summary: runSummarySchema })
  }),
  'playground.output': defineEventStream({
    summary: "Generated text as it streams (deltas of one model's answer, batched); done marks the end of the request",
    payload: z.object({ requestId: z.string(), runId: z.string(), model: playgroundModelSchema.nullable().optional(), text: z.string(), done: z.boolean() })
  })
}

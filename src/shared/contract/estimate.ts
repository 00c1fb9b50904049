import { z } from 'zod'
import { confirmedPathsSchema } from './confirmed-paths'
import { defineChannel, defineEventStream } from './define'
import { riskyModelSettingSchema } from './risky-model-settings'
import { estimateVerificationSchema, gpuMemorySampleSchema, hardwareSnapshotSchema, modelCatalogEntrySchema, runEstimateErrorSchema, tokenStatsSchema, verifyProgressSchema } from './estimate-schemas'
import { runFailureSchema, runSettingsSchema, singleDeviceChoiceSchema } from './runs'

export * from './estimate-schemas'

/**
 * What the Model and Parameters & estimate screens ask the core: the machine, the models on
 * disk, and the token statistics of the draft training file. The estimate itself is computed
 * in the renderer with the pure estimator (src/shared/estimator), so it follows every keystroke
 * without a round trip; these channels only bring it its inputs.
 */

export const modelFolderListSchema = z.object({
  models: z.array(modelCatalogEntrySchema),
  /** The user's remembered model folders. */
  folders: z.array(z.string()),
  /** The Hugging Face cache folder that was scanned (HF_HUB_CACHE, HF_HOME or the default). */
  cacheDir: z.string(),
  /** Folders or entries that could not be read, in words (the rest of the list is still good). */
  problems: z.array(z.string())
})
export type ModelFolderList = z.infer<typeof modelFolderListSchema>

const folderPath = z.string().trim().min(1, 'Give the folder that holds the model (its config.json), or a folder of such folders.')

export const hardwareChannels = {
  'hardware.snapshot': defineChannel({
    summary: 'The GPUs (memory, driver, compute capability, utilisation), CPU and RAM as detected now',
    request: z.object({ refresh: z.boolean().default(false) }),
    response: hardwareSnapshotSchema
  }),
  'hardware.watch': defineChannel({
    summary: 'Start or stop live GPU memory readings (hardware.vram) for one open panel',
    request: z.object({
      on: z.boolean(),
      /** One id per open panel: polling runs while any panel holds an unexpired lease. */
      watcherId: z.string().min(1).max(100).default('default')
    }),
    response: z.object({
      watching: z.boolean(),
      intervalMs: z.number().int().positive(),
      /** Renew (`on: true` again) within this long or the readings stop: a closed window cannot leave the poller running. */
      leaseMs: z.number().int().positive()
    })
  })
}

export const modelsChannels = {
  'models.list': defineChannel({
    summary: 'Every model LocalTune can train: the built-in demo, the Hugging Face cache and the remembered folders',
    request: z.object({ folders: z.array(folderPath).optional(), confirmedPaths: confirmedPathsSchema }),
    response: modelFolderListSchema
  }),
  'models.add-folder': defineChannel({
    summary: 'Remember a folder of models and list what it holds',
    request: z.object({ path: folderPath, confirmedPaths: confirmedPathsSchema }),
    response: modelFolderListSchema.extend({ added: z.string(), found: z.array(modelCatalogEntrySchema) })
  }),
  'models.remove-folder': defineChannel({
    summary: 'Forget a remembered model folder (nothing on disk is touched)',
    request: z.object({ path: folderPath }),
    response: modelFolderListSchema
  }),
  'models.resolve': defineChannel({
    summary: 'Find a Hugging Face model id in the local cache; explains what to do when it is not there (LocalTune is offline)',
    request: z.object({ id: z.string().trim().min(1, 'Type a Hugging Face model id such as "Qwen/Qwen2.5-0.5B-Instruct".') }),
    response: modelCatalogEntrySchema
  })
}

export const tokensChannels = {
  'tokens.stats': defineChannel({
    summary: "Token counts of a training file with the model's own tokenizer, or a labelled approximation",
    request: z
      .object({
        /** The draft of an imported dataset: <home>/drafts/<datasetId>/train.jsonl (written by datasets.export). */
        datasetId: z.string().min(1).optional(),
        /** Any train.jsonl written by LocalTune. */
        trainJsonlPath: z.string().min(1).optional(),
        model: z.object({ id: z.string().min(1), path: z.string().min(1).nullable() }),
        confirmedPaths: confirmedPathsSchema
      })
      .refine((request) => (request.datasetId === undefined) !== (request.trainJsonlPath === undefined), {
        message: 'Give either datasetId or trainJsonlPath (exactly one).',
        path: ['trainJsonlPath']
      }),
    response: z.object({ trainPath: z.string(), stats: tokenStatsSchema })
  })
}

export const hardwareEventStreams = {
  'hardware.vram': defineEventStream({
    summary: 'A reading of every GPU’s memory, every few seconds while a panel watches',
    payload: gpuMemorySampleSchema
  })
}

const verificationId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'verificationId: letters, digits and dashes, at most 64.')

export const estimateVerifyRequestSchema = z.object({
  /** Chosen by the caller, so progress events and a cancel can name this verification. */
  verificationId,
  /** The training file whose longest examples are measured (tokens.stats answers its path). */
  trainJsonlPath: z.string().min(1, 'Give the training file (train.jsonl) to verify with.'),
  settings: runSettingsSchema,
  /** Verification measures one device; a several-GPU run is checked per GPU by the estimate. */
  device: singleDeviceChoiceSchema,
  /** The memory the run may use on that device (the estimate's "available"); null: no limit. */
  memoryLimitBytes: z.number().positive().nullable().default(null),
  steps: z.number().int().min(1).max(20).default(3),
  /** The risky model settings the user confirmed (risky-model-settings.ts); others are refused. */
  confirmedRisks: z.array(riskyModelSettingSchema).default([]),
  confirmedPaths: confirmedPathsSchema
})

export const verifyChannels = {
  'estimate.verify': defineChannel({
    summary: 'Measure peak memory and step time: load the model and take a few real steps on the longest examples',
    request: estimateVerifyRequestSchema,
    response: z.discriminatedUnion('status', [
      z.object({ status: z.literal('measured'), verification: estimateVerificationSchema }),
      /** Nothing was measured: the model or data could not load (the failure says why). */
      z.object({ status: z.literal('failed'), verificationId: z.string(), failure: runFailureSchema }),
      z.object({ status: z.literal('cancelled'), verificationId: z.string() })
    ])
  }),
  'estimate.run-errors': defineChannel({
    summary: "Each run's estimate beside what it measured (peak memory, seconds per step): the estimator's error bar",
    request: z.object({ runIds: z.array(z.string().min(1)).optional() }),
    response: z.object({ runs: z.array(runEstimateErrorSchema) })
  }),
  'estimate.cancel-verify': defineChannel({
    summary: 'Stop a verification that is running (its process ends, its temporary folder is removed)',
    request: z.object({ verificationId }),
    response: z.object({ cancelled: z.boolean() })
  })
}

export const verifyEventStreams = {
  'estimate.verify-progress': defineEventStream({
    summary: 'What a verification is doing: loading, reading the data, step k of n',
    payload: verifyProgressSchema
  })
}

import { z } from 'zod'
import { datasetMappingSchema, trainingFormatOptionsSchema } from '../dataset/mapping'
import { validationSplitSchema } from '../dataset/validation-split'
import { trainingMethodSchema } from '../run-config/run-config-schema'
import { confirmedPathsSchema } from './confirmed-paths'
import { defineChannel } from './define'
import { estimateVerificationSchema } from './estimate-schemas'
import { riskyModelSettingSchema } from './risky-model-settings'
import { deviceChoiceSchema, runSettingsSchema, runSummarySchema } from './runs'

export const projectModelSchema = z.object({
  id: z.string().min(1),
  path: z.string().nullable(),
  displayName: z.string().min(1),
  demo: z.boolean(),
  hasChatTemplate: z.boolean()
})

/** What one run of a project may change from the project's saved settings. */
export const projectRunOverridesSchema = z.object({
  method: trainingMethodSchema.optional(),
  /** Training params to change, as run.json names them (lora merged key by key). */
  params: z.record(z.string(), z.unknown()).optional(),
  merge: z.boolean().optional()
})
export type ProjectRunOverrides = z.infer<typeof projectRunOverridesSchema>

export const estimateVerdictSchema = z.enum(['fits', 'tight', 'does_not_fit'])
export type EstimateVerdict = z.infer<typeof estimateVerdictSchema>

/** What the user saw and accepted before Create Project: the gate is checked again in the core. */
export const verifiedEstimateSchema = z.object({
  verdict: estimateVerdictSchema,
  /** The estimate as shown (breakdown, time range, inputs), kept so the run can be compared with it. */
  peakBytes: z.number().nonnegative(),
  deviceMemoryBytes: z.number().nonnegative().nullable(),
  deviceLabel: z.string(),
  details: z.record(z.string(), z.unknown()),
  riskAccepted: z.boolean(),
  /** What "Verify on this machine" measured for exactly this estimate; null when the figures are only estimated. */
  measured: estimateVerificationSchema.nullable().default(null)
})

export const projectDataSchema = z.object({
  datasetId: z.string().min(1),
  mapping: datasetMappingSchema,
  format: trainingFormatOptionsSchema.default({}),
  split: validationSplitSchema.optional(),
  dropInvalidRows: z.boolean().default(false)
})

export const projectSchema = z.object({
  id: z.string(),
  name: z.string(),
  datasetId: z.string().nullable(),
  datasetFileName: z.string().nullable(),
  mode: z.string(),
  /** The data choices it was made with (mapping, text format, split); null if they cannot be read back. */
  data: projectDataSchema.nullable(),
  model: projectModelSchema,
  settings: runSettingsSchema,
  estimate: verifiedEstimateSchema.nullable(),
  /** Whether the figures it was created with were measured on this machine or only estimated. */
  estimateBasis: z.enum(['estimated', 'measured']),
  hardware: z.record(z.string(), z.unknown()).nullable(),
  projectDir: z.string(),
  trainExamples: z.number().int(),
  validExamples: z.number().int(),
  droppedRows: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string()
})
export type Project = z.infer<typeof projectSchema>

export const projectsChannels = {
  'projects.create': defineChannel({
    summary: 'Create a project from the data, model, parameters and the verified estimate; writes its training files',
    request: z.object({
      name: z.string().trim().min(1, 'Give the project a name.').max(200),
      data: projectDataSchema,
      model: projectModelSchema,
      settings: runSettingsSchema,
      estimate: verifiedEstimateSchema,
      hardware: z.record(z.string(), z.unknown()).nullable().default(null),
      /** The risky model settings the user confirmed in a dialog that said the risk (risky-model-settings.ts). */
      confirmedRisks: z.array(riskyModelSettingSchema).default([]),
      confirmedPaths: confirmedPathsSchema
    }),
    response: projectSchema
  }),
  'projects.list': defineChannel({
    summary: 'Every project, newest first',
    request: z.object({}),
    response: z.array(projectSchema)
  }),
  'projects.get': defineChannel({
    summary: 'One project',
    request: z.object({ projectId: z.string().min(1) }),
    response: projectSchema
  }),
  'projects.start-run': defineChannel({
    summary: "Train a project: queue a run with its settings on its formatted data",
    request: z.object({
      projectId: z.string().min(1),
      device: deviceChoiceSchema.optional(),
      /** This run only: settings other than the project's (`localtune train --project ID --method … --set …`). */
      overrides: projectRunOverridesSchema.optional()
    }),
    response: runSummarySchema
  })
}

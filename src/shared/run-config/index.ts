export {
  RUN_CONFIG_SCHEMA_VERSION,
  TINY_DEMO_MODEL_ID,
  attentionSchema,
  dataSpecSchema,
  defaultTrainingParams,
  describeFieldIssue,
  loraParamsSchema,
  modelSpecSchema,
  parseRunConfig,
  precisionSchema,
  runConfigParamsSchema,
  runConfigProblems,
  runConfigSchema,
  schedulerSchema,
  trainingMethodSchema,
  trainingModeSchema,
  trainingParamsSchema,
  withDefaultParams
} from './run-config-schema'
export type { LoraParams, ModelSpec, ParseRunConfigResult, RunConfig, RunConfigInput, TrainingMethod, TrainingMode, TrainingParams } from './run-config-schema'
export { trainingMethodChoices, trainingMethodName } from './training-method-labels'

export {
  RUN_EVENT_VERSION,
  checkpointEventSchema,
  errorEventSchema,
  errorKindSchema,
  evalEventSchema,
  finishedEventSchema,
  finishedStatusSchema,
  gpuMemorySchema,
  oomMemorySchema,
  parseRunEventLine,
  progressEventSchema,
  runEventSchema,
  runEventSchemasByType,
  startedEventSchema,
  warningEventSchema
} from './run-event-schema'
export type {
  CheckpointEvent,
  ErrorEvent,
  ErrorKind,
  EvalEvent,
  FinishedEvent,
  FinishedStatus,
  GpuMemory,
  ParseRunEventLineResult,
  ProgressEvent,
  RunEvent,
  RunEventType,
  StartedEvent,
  WarningEvent
} from './run-event-schema'

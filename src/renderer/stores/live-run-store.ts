import { create } from 'zustand'
import type { RunDetail, RunSummary } from '../../shared/contract'
import type { CheckpointEvent, EvalEvent, ProgressEvent, StartedEvent } from '../../shared/run-events'
import { progressFromEvent } from '../features/train/progress-figures'

/** The latest figures of the run, from its newest progress event (or its last stored point after a reload). */
export interface LiveProgress {
  step: number
  totalSteps: number | null
  epoch: number | null
  loss: number | null
  lr: number | null
  tokensPerSecond: number | null
  etaSeconds: number | null
  /** CUDA memory of the runtime now and its peak; null on the CPU (not measured there). */
  gpuAllocatedBytes: number | null
  gpuPeakBytes: number | null
  /**
   * Several processes: each rank's peak memory so far, in rank order (its GPU's peak allocation,
   * or its process's peak resident memory on the CPU; null where not reported). Null or absent
   * for a single process, and for a point read back from the stored metrics (not stored there).
   */
  rankPeakBytes?: Array<number | null> | null
  /** Unix seconds of the point. */
  time: number
}

/** The memory estimate the user verified when creating the run's project. */
export interface ProjectEstimate {
  projectName: string
  peakBytes: number
  deviceLabel: string
  verdict: string
}

export type RunAction = 'stop' | 'force-stop' | 'resume' | 'run-again'

interface LiveRunState {
  /** The run the Train and Results screens show. */
  runId: string | null
  loading: boolean
  loadError: string | null
  summary: RunSummary | null
  detail: RunDetail | null
  progress: LiveProgress | null
  started: Pick<StartedEvent, 'total_steps' | 'device' | 'precision' | 'resumed_from_step' | 'demo' | 'world_size' | 'parallelism'> | null
  lastEval: { step: number; loss: number | null } | null
  checkpointSteps: number[]
  warnings: string[]
  projectEstimate: ProjectEstimate | null
  pendingAction: RunAction | null
  actionError: string | null

  runOpened(runId: string): void
  runLoaded(loaded: { detail: RunDetail; progress: LiveProgress | null; lastEval: { step: number; loss: number | null } | null }): void
  runLoadFailed(message: string): void
  runClosed(): void
  runStatusReceived(summary: RunSummary): void
  runStartedReceived(event: StartedEvent): void
  progressReceived(event: ProgressEvent): void
  evalReceived(event: EvalEvent): void
  checkpointReceived(event: CheckpointEvent): void
  warningReceived(message: string): void
  projectEstimateLoaded(estimate: ProjectEstimate | null): void
  actionStarted(action: RunAction): void
  actionFinished(error: string | null): void
}

const emptyRun = {
  loading: false,
  loadError: null,
  summary: null,
  detail: null,
  progress: null,
  started: null,
  lastEval: null,
  checkpointSteps: [],
  warnings: [],
  projectEstimate: null,
  pendingAction: null,
  actionError: null
} satisfies Partial<LiveRunState>

function newerByStep<T extends { step: number }>(current: T | null, loaded: T | null): T | null {
  if (!loaded) return current
  if (!current) return loaded
  return current.step >= loaded.step ? current : loaded
}

// A long run can warn now and then; the screen shows the newest few.
const keptWarnings = 5

const useLiveRunStore = create<LiveRunState>()((set) => ({
  runId: null,
  ...emptyRun,
  runOpened: (runId) => set({ runId, ...emptyRun, loading: true }),
  runLoaded: ({ detail, progress, lastEval }) =>
    set((state) => {
      // The folder's checkpoints are the truth (the runtime prunes old ones); a checkpoint event
      // newer than the read is kept.
      const onDisk = detail.checkpoints.map((checkpoint) => checkpoint.step)
      const newest = onDisk.at(-1) ?? -1
      return {
        loading: false,
        detail,
        summary: detail,
        // Events that arrived while loading may already be newer than the stored points.
        progress: newerByStep(state.progress, progress),
        lastEval: newerByStep(state.lastEval, lastEval),
        checkpointSteps: [...onDisk, ...state.checkpointSteps.filter((step) => step > newest)]
      }
    }),
  runLoadFailed: (message) => set({ loading: false, loadError: message }),
  runClosed: () => set({ runId: null, ...emptyRun }),
  runStatusReceived: (summary) =>
    set((state) => (state.runId === summary.id ? { summary, detail: state.detail ? { ...state.detail, ...summary } : state.detail } : {})),
  runStartedReceived: (event) =>
    set({ started: { total_steps: event.total_steps, device: event.device, precision: event.precision, resumed_from_step: event.resumed_from_step, demo: event.demo, world_size: event.world_size, parallelism: event.parallelism } }),
  progressReceived: (event) => set({ progress: progressFromEvent(event) }),
  evalReceived: (event) => set({ lastEval: { step: event.step, loss: event.eval_loss } }),
  checkpointReceived: (event) => set((state) => ({ checkpointSteps: [...new Set([...state.checkpointSteps, event.step])].sort((a, b) => a - b) })),
  warningReceived: (message) => set((state) => ({ warnings: [...state.warnings, message].slice(-keptWarnings) })),
  projectEstimateLoaded: (projectEstimate) => set({ projectEstimate }),
  actionStarted: (action) => set({ pendingAction: action, actionError: null }),
  actionFinished: (error) => set({ pendingAction: null, actionError: error })
}))

export const useLiveRunId = () => useLiveRunStore((state) => state.runId)
export const useLiveRunLoadError = () => useLiveRunStore((state) => state.loadError)
export const useLiveRunSummary = () => useLiveRunStore((state) => state.summary)
export const useLiveRunDetail = () => useLiveRunStore((state) => state.detail)
export const useLiveProgress = () => useLiveRunStore((state) => state.progress)
export const useLiveRunStarted = () => useLiveRunStore((state) => state.started)
export const useLastEval = () => useLiveRunStore((state) => state.lastEval)
export const useCheckpointSteps = () => useLiveRunStore((state) => state.checkpointSteps)
export const useRunWarnings = () => useLiveRunStore((state) => state.warnings)
export const useProjectEstimate = () => useLiveRunStore((state) => state.projectEstimate)
export const usePendingRunAction = () => useLiveRunStore((state) => state.pendingAction)
export const useRunActionError = () => useLiveRunStore((state) => state.actionError)

/** For services: the events they feed in, and what they read. */
export const liveRunActions = () => useLiveRunStore.getState()
export const currentRunId = () => useLiveRunStore.getState().runId

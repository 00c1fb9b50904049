import { useDeferredValue, useMemo } from 'react'
import { targetsFromSnapshot } from '../../../shared/estimator'
import { useDraftExport } from '../../stores/dataset-draft-store'
import { useTokenStatsState } from '../../stores/estimate-store'
import { useMemoryScaleFor } from '../../stores/estimate-verification-store'
import { useHardwareSnapshot } from '../../stores/hardware-store'
import { useCatalogEntry } from '../../stores/model-catalog-store'
import { useChosenModel } from '../../stores/model-choice-store'
import { useDeviceKey, useGpuSet, useManualFields, useParametersMode } from '../../stores/parameters-store'
import { autoBasisKey, autoParametersFor, deriveEstimateView, type EstimateView } from './estimate-view'
import { choosableGpus, gpuSetSize } from './gpu-set'
import { tokenStatsKey } from './token-stats-service'

/**
 * The estimate for what is on screen now. Pure and in the renderer, so it follows every
 * keystroke; the form's text is deferred so typing stays smooth even on a huge dataset
 * (React renders the input first and the recomputed panel right after).
 */
export function useTrainingEstimate(): EstimateView {
  const model = useChosenModel()
  const entry = useCatalogEntry(model)
  const snapshot = useHardwareSnapshot()
  const draft = useDraftExport()
  const tokenState = useTokenStatsState()
  const mode = useParametersMode()
  const manual = useDeferredValue(useManualFields())
  const deviceKey = useDeviceKey()
  const gpuSet = useGpuSet()

  // The GPUs a run may use: Auto's limit, and what the GPU choice counts for "all".
  const gpuCount = choosableGpus(snapshot).length
  const currentKey = draft && model ? tokenStatsKey(draft, model) : null
  const tokenStats = tokenState.status === 'ready' && tokenState.forKey === currentKey ? tokenState.stats : null

  const basis = useMemo(
    () => ({
      entry,
      snapshot,
      tokenStats,
      trainExamples: draft?.summary.rows.train ?? 0,
      datasetMode: draft?.summary.mode ?? ('chat' as const),
      trainOnResponseOnly: draft?.summary.trainOnResponseOnly ?? true,
      // Auto may split a run over the machine's GPUs (torchrun ranks) when that is faster.
      autoMaxRanks: Math.max(1, gpuCount)
    }),
    [entry, snapshot, tokenStats, draft, gpuCount]
  )
  // Auto depends on the model, machine and data (and what a verification of them measured) only:
  // typing in Manual does not redo it. Auto trains on a GPU whenever the machine has one.
  const autoDeviceKind = snapshot ? (targetsFromSnapshot(snapshot).some((device) => device.kind === 'gpu') ? 'gpu' : 'cpu') : null
  const memoryScale = useMemoryScaleFor(autoBasisKey(entry, tokenStats, autoDeviceKind))
  const auto = useMemo(() => autoParametersFor(basis, memoryScale), [basis, memoryScale])
  const ranks = gpuSetSize(gpuSet, gpuCount)
  return useMemo(() => deriveEstimateView({ ...basis, mode, manual, deviceKey, ranks }, { auto }), [basis, auto, mode, manual, deviceKey, ranks])
}

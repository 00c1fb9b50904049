import { useDeferredValue, useMemo } from 'react'
import { useDraftExport } from '../../stores/dataset-draft-store'
import { useTokenStatsState } from '../../stores/estimate-store'
import { useHardwareSnapshot } from '../../stores/hardware-store'
import { useCatalogEntry } from '../../stores/model-catalog-store'
import { useChosenModel } from '../../stores/model-choice-store'
import { useDeviceKey, useManualFields, useParametersMode } from '../../stores/parameters-store'
import { autoParametersFor, deriveEstimateView, type EstimateView } from './estimate-view'
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

  const currentKey = draft && model ? tokenStatsKey(draft, model) : null
  const tokenStats = tokenState.status === 'ready' && tokenState.forKey === currentKey ? tokenState.stats : null

  const basis = useMemo(
    () => ({
      entry,
      snapshot,
      tokenStats,
      trainExamples: draft?.summary.rows.train ?? 0,
      datasetMode: draft?.summary.mode ?? ('chat' as const),
      trainOnResponseOnly: draft?.summary.trainOnResponseOnly ?? true
    }),
    [entry, snapshot, tokenStats, draft]
  )
  // Auto depends on the model, machine and data only: typing in Manual does not redo it.
  const auto = useMemo(() => autoParametersFor(basis), [basis])
  return useMemo(() => deriveEstimateView({ ...basis, mode, manual, deviceKey }, { auto }), [basis, auto, mode, manual, deviceKey])
}

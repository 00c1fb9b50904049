import { useEffect, useMemo } from 'react'
import { targetsFromSnapshot } from '../../../shared/estimator'
import { useDataStepBlocker, useDraftExport } from '../../stores/dataset-draft-store'
import { useHardwareError, useHardwareSnapshot } from '../../stores/hardware-store'
import { useChosenModel } from '../../stores/model-choice-store'
import { useManualFields, useParametersActions, useParametersMode } from '../../stores/parameters-store'
import { useProjectCreationActions } from '../../stores/project-creation-store'
import { catalogRequested } from '../model/model-catalog-service'
import { AutoChoices } from './auto-choices'
import { CreateProjectPanel } from './create-project-panel'
import { EstimatePanel } from './estimate-panel'
import { GpuSetChoice } from './gpu-set-choice'
import { deviceKeyOf } from './estimate-view'
import { hardwareSnapshotRequested, liveVramWatched } from './hardware-service'
import { MachineLine } from './machine-line'
import { ManualForm } from './manual-form'
import { ModeSwitch } from './mode-switch'
import { tokenStatsRequested } from './token-stats-service'
import { TokenStatsPanel } from './token-stats-panel'
import { useTrainingEstimate } from './use-training-estimate'
import './parameters.css'

/** Step 3: Auto or Manual parameters, the estimate beside them, and the verified gate. */
export function ParametersScreen() {
  const model = useChosenModel()
  const draft = useDraftExport()
  const dataBlocker = useDataStepBlocker()
  const snapshot = useHardwareSnapshot()
  const hardwareError = useHardwareError()
  const mode = useParametersMode()
  const manual = useManualFields()
  const { autoChosen, manualChosen } = useParametersActions()
  const { creationReset } = useProjectCreationActions()
  const view = useTrainingEstimate()

  useEffect(() => {
    void hardwareSnapshotRequested()
    void catalogRequested()
  }, [])
  // A new export (any changed Data choice) or another model: count again.
  useEffect(() => {
    if (model && !dataBlocker) void tokenStatsRequested()
  }, [model, draft, dataBlocker])
  // Live memory only while this panel is open, and only where nvidia-smi can read it.
  const liveGpus = snapshot?.gpus.some((gpu) => gpu.source === 'nvidia-smi') ?? false
  useEffect(() => (liveGpus ? liveVramWatched() : undefined), [liveGpus])
  const signature = view.kind === 'ready' ? view.signature : null
  useEffect(() => {
    creationReset()
  }, [signature, creationReset])

  const devices = useMemo(() => (snapshot ? targetsFromSnapshot(snapshot) : []), [snapshot])
  const auto = view.kind === 'ready' || view.kind === 'invalid' ? view.auto : null
  const chosenKey = view.kind === 'ready' ? view.chosenKey : null
  const maxLength = view.kind === 'ready' ? view.params.max_length : null

  return (
    <div className="screen-stack parameters-screen">
      <MachineLine snapshot={snapshot} error={hardwareError} />
      <div className="parameters-columns">
        <div className="parameters-left">
          <ModeSwitch mode={mode} manualDisabled={!auto} onAuto={autoChosen} onManual={() => auto && manualChosen({ method: auto.method, params: auto.params })} />
          {mode === 'auto' && auto && <AutoChoices auto={auto} />}
          {mode === 'manual' && manual && (
            <ManualForm fields={manual} errors={view.kind === 'invalid' ? view.errors : {}} devices={devices} deviceKey={chosenKey ?? (auto ? deviceKeyOf(auto.device) : 'cpu')} />
          )}
          {!auto && <p className="muted">Auto's choice appears once the estimate has its inputs.</p>}
          <GpuSetChoice snapshot={snapshot} view={view.kind === 'ready' ? view : null} />
        </div>
        <div className="parameters-right">
          <EstimatePanel view={view} />
          <TokenStatsPanel stats={view.kind === 'ready' ? view.tokenStats : null} maxLength={maxLength} truncated={view.kind === 'ready' ? view.truncated : null} />
          <CreateProjectPanel view={view} />
        </div>
      </div>
    </div>
  )
}

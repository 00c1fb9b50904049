import { useState } from 'react'
import { riskyModelSettings, riskyModelSettingSchema, type RiskyModelSetting } from '../../../shared/contract'
import { ModalDialog } from '../../app/modal-dialog'
import { useChosenModel } from '../../stores/model-choice-store'
import { useProjectCreationActions } from '../../stores/project-creation-store'
import { useConfirmedRisksFor, useRiskyModelSettingsActions } from '../../stores/risky-model-settings-store'

/**
 * trust_remote_code and downloads, off by default. Switching one on opens a dialog that says
 * what the risk is; only "Allow" there turns it on, and only for the model chosen now. The
 * core refuses either one that arrives without this confirmation (projects.create).
 */
export function RiskyModelSettings({ disabled }: { disabled: boolean }) {
  const model = useChosenModel()
  const modelId = model && !model.demo ? model.id : null
  const confirmed = useConfirmedRisksFor(modelId)
  const { riskConfirmed, settingSwitchedOff } = useRiskyModelSettingsActions()
  const { creationReset } = useProjectCreationActions()
  const [asking, setAsking] = useState<RiskyModelSetting | null>(null)
  // The built-in demo model has no code or files of its own to trust or fetch.
  if (modelId === null) return null

  const switched = (setting: RiskyModelSetting, on: boolean) => {
    if (on) {
      setAsking(setting)
      return
    }
    settingSwitchedOff(setting)
    creationReset()
  }
  const allow = () => {
    if (asking) riskConfirmed(modelId, asking)
    setAsking(null)
    creationReset()
  }

  return (
    <fieldset className="risky-model-settings">
      <legend className="small">Risky model settings (off unless you allow them)</legend>
      {riskyModelSettingSchema.options.map((setting) => (
        <label key={setting} className="toggle-field">
          <input type="checkbox" checked={confirmed.includes(setting)} disabled={disabled} onChange={(event) => switched(setting, event.target.checked)} />
          <span>{riskyModelSettings[setting].label}</span>
        </label>
      ))}
      <ModalDialog open={asking !== null} title={asking ? `${riskyModelSettings[asking].label}?` : ''} onClose={() => setAsking(null)}>
        {asking && (
          <>
            <p data-testid="risk-text">{riskyModelSettings[asking].risk}</p>
            <p className="small muted">For {modelId} only; choosing another model switches it off again.</p>
            <div className="button-row">
              <button type="button" autoFocus onClick={() => setAsking(null)}>
                Cancel
              </button>
              <button type="button" onClick={allow}>
                Allow for this model
              </button>
            </div>
          </>
        )}
      </ModalDialog>
    </fieldset>
  )
}

import type { ParametersMode } from '../../stores/parameters-store'

/** Auto or Manual, as a radio group (arrow keys move between them). */
export function ModeSwitch({ mode, onAuto, onManual, manualDisabled }: { mode: ParametersMode; onAuto(): void; onManual(): void; manualDisabled: boolean }) {
  return (
    <fieldset className="mode-switch">
      <legend>Parameters</legend>
      <label className={mode === 'auto' ? 'mode-option mode-active' : 'mode-option'}>
        <input type="radio" name="parameters-mode" value="auto" checked={mode === 'auto'} onChange={onAuto} />
        <span>
          <strong>Auto</strong> <span className="small muted">the fastest configuration that fits, each choice explained</span>
        </span>
      </label>
      <label className={mode === 'manual' ? 'mode-option mode-active' : 'mode-option'}>
        <input type="radio" name="parameters-mode" value="manual" checked={mode === 'manual'} onChange={onManual} disabled={manualDisabled} />
        <span>
          <strong>Manual</strong> <span className="small muted">every parameter yours to set</span>
        </span>
      </label>
    </fieldset>
  )
}

import { useId, useState } from 'react'
import { invoke } from '../../api/client'
import { useHostCapabilities } from '../../stores/host-capabilities-store'
import './folder-path-field.css'

interface FolderPathFieldProps {
  label: string
  value: string
  onChange(path: string): void
  /** The title of the system's folder dialog (desktop app). */
  pickerTitle: string
  placeholder: string
  disabled?: boolean
}

/**
 * A folder's full path: typed (or pasted from the file manager) everywhere, and chosen with the
 * system's folder picker where the host has one (the desktop app; a browser tab has none).
 */
export function FolderPathField({ label, value, onChange, pickerTitle, placeholder, disabled = false }: FolderPathFieldProps) {
  const { pickFolder } = useHostCapabilities()
  const [pickerProblem, setPickerProblem] = useState<string | null>(null)
  const id = useId()
  const choose = async () => {
    setPickerProblem(null)
    try {
      const { path } = await invoke('host.pick-folder', { title: pickerTitle })
      if (path) onChange(path)
    } catch (error) {
      setPickerProblem(`The folder picker did not open (${(error as Error).message}); type the path instead.`)
    }
  }
  return (
    <div className="folder-path-field">
      <label htmlFor={id}>{label}</label>
      <span className="inline-form">
        <input id={id} value={value} onChange={(event) => onChange(event.target.value)} placeholder={placeholder} spellCheck={false} disabled={disabled} />
        {pickFolder && (
          <button type="button" className="secondary" onClick={() => void choose()} disabled={disabled} aria-label={`Choose with the folder picker: ${label}`}>
            Choose…
          </button>
        )}
      </span>
      {pickerProblem && (
        <p role="alert" className="error-text small">
          {pickerProblem}
        </p>
      )}
    </div>
  )
}

import { useEffect } from 'react'
import { useIgnoredFiles, useIntakePhase, useSourceChange } from '../../stores/dataset-intake-store'
import { ContinueBar } from './continue-bar'
import { sourceCheckRequested, sourceReimportRequested } from './csv-intake-service'
import { CsvFilePanel } from './csv-file-panel'
import { FormattedPreview } from './formatted-preview'
import { MappingWizard } from './mapping-wizard'
import { RowCheckPanel } from './row-check-panel'
import { RowsPanel } from './rows-panel'
import { useFilesDraggedOver } from './window-file-drop'
import './data-screen.css'

function SourceChangedBanner() {
  const change = useSourceChange()
  if (!change) return null
  return (
    <div className="panel data-source-changed" role="alert">
      <p>{change}</p>
      <button type="button" onClick={() => void sourceReimportRequested()}>
        Read the file again
      </button>
    </div>
  )
}

/** The Data step: a CSV in, its rows seen, its columns mapped, and exactly what will train. */
export function DataScreen() {
  const phase = useIntakePhase()
  const ignored = useIgnoredFiles()
  const dragging = useFilesDraggedOver()
  const mapped = phase === 'ready' || phase === 'reading'

  // The user may have edited the file in a spreadsheet and come back: check on return.
  useEffect(() => {
    void sourceCheckRequested()
    const onFocus = () => void sourceCheckRequested()
    window.addEventListener('focus', onFocus)
    return () => window.removeEventListener('focus', onFocus)
  }, [])

  return (
    <div className="screen-stack data-screen">
      <SourceChangedBanner />
      <CsvFilePanel />
      {ignored.length > 0 && (
        <p className="data-warning" role="status">
          LocalTune uses one CSV at a time, so it did not read {ignored.join(', ')}. For a validation set, choose “A second CSV file” under Validation split.
        </p>
      )}
      <RowsPanel />
      {mapped && <MappingWizard />}
      {mapped && <FormattedPreview />}
      {phase === 'ready' && <RowCheckPanel />}
      <ContinueBar />
      {dragging && (
        <div className="data-drop-overlay" aria-hidden="true">
          <p>Drop the CSV file to read it</p>
        </div>
      )}
    </div>
  )
}

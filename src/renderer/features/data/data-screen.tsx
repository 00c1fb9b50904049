import { useCallback, useState } from 'react'
import { useIntakePhase } from '../../stores/dataset-intake-store'
import { ContinueBar } from './continue-bar'
import { csvFileChosen } from './csv-intake-service'
import { CsvFilePanel } from './csv-file-panel'
import { FormattedPreview } from './formatted-preview'
import { MappingWizard } from './mapping-wizard'
import { RowCheckPanel } from './row-check-panel'
import { RowsPanel } from './rows-panel'
import { useWindowFileDrop } from './use-window-file-drop'
import './data-screen.css'

/** The Data step: a CSV in, its rows seen, its columns mapped, and exactly what will train. */
export function DataScreen() {
  const phase = useIntakePhase()
  const [ignored, setIgnored] = useState<string[]>([])
  const onDrop = useCallback((files: File[]) => {
    const [first, ...rest] = files
    setIgnored(rest.map((file) => file.name))
    if (first) void csvFileChosen(first)
  }, [])
  const dragging = useWindowFileDrop(onDrop)
  const mapped = phase === 'ready' || phase === 'reading'

  return (
    <div className="screen-stack data-screen">
      <CsvFilePanel />
      {ignored.length > 0 && (
        <p className="data-warning" role="status">
          LocalTune uses one CSV at a time, so it did not read {ignored.join(', ')}. For a validation set, choose “A second CSV file” below.
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

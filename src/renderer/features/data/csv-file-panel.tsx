import type { CsvInspection } from '../../../shared/dataset/inspection'
import { useChosenFile, useCsvInspection, useCsvPreview, useIntakeError, useIntakePhase } from '../../stores/dataset-intake-store'
import { csvFileChosen, headerChoiceChanged } from './csv-intake-service'
import { delimiterLabels, encodingLabels, formatBytes, formatCount, lineEndingLabels, plural } from './csv-labels'
import { FilePickerButton } from './file-picker-button'
import { ImportProgressBar } from './import-progress-bar'
import { ProblemList } from './problem-list'
import { ErrorAlert } from '../../app/error-alert'

function headerDecision(inspection: CsvInspection): string {
  const layout = inspection.layout
  if (!layout) return ''
  if (layout.hasHeader) return layout.headerSource === 'user' ? 'yes, as you said' : 'yes (LocalTune read the first row as column names)'
  return layout.headerSource === 'user'
    ? `no, as you said: the columns are named column_1 to column_${layout.columns.length}`
    : `no (LocalTune read the first row as data): the columns are named column_1 to column_${layout.columns.length}`
}

function FileFacts({ inspection }: { inspection: CsvInspection }) {
  const layout = inspection.layout
  return (
    <dl className="data-facts" aria-label="About the file">
      <dt>File</dt>
      <dd data-testid="data-file-name">{inspection.fileName}</dd>
      <dt>Size</dt>
      <dd>{formatBytes(inspection.sizeBytes)}</dd>
      {layout && (
        <>
          <dt>Encoding</dt>
          <dd>{encodingLabels[layout.encoding]}</dd>
          <dt>Delimiter</dt>
          <dd>
            {delimiterLabels[layout.delimiter]} · line endings {lineEndingLabels[layout.lineEnding]}
          </dd>
          <dt>Rows</dt>
          <dd data-testid="data-row-count">
            {plural(inspection.rowCount, 'data row')}
            {inspection.blankLineCount > 0 && ` (${formatCount(inspection.blankLineCount)} blank lines skipped)`}
          </dd>
          <dt>Header</dt>
          <dd data-testid="data-header-decision">{headerDecision(inspection)}</dd>
        </>
      )}
    </dl>
  )
}

/** Getting a CSV in: the picker, what is happening to the file, and what reading it found. */
export function CsvFilePanel() {
  const phase = useIntakePhase()
  const chosenFile = useChosenFile()
  const preview = useCsvPreview()
  const inspection = useCsvInspection()
  const error = useIntakeError()
  const busy = phase === 'uploading' || phase === 'reading'
  const fileName = inspection?.fileName ?? chosenFile?.name ?? 'the file'
  const layout = inspection?.layout ?? preview?.layout ?? null

  return (
    <section className={`panel data-file${phase === 'idle' ? ' data-file-empty' : ''}`} aria-labelledby="data-file-title">
      <header className="panel-header">
        <h3 id="data-file-title">Your CSV file</h3>
        <FilePickerButton onFile={(file) => void csvFileChosen(file)} disabled={busy} inputLabel="CSV file" className={phase === 'idle' ? undefined : 'secondary'}>
          {phase === 'idle' ? 'Choose a CSV file' : 'Choose another file'}
        </FilePickerButton>
      </header>
      {phase === 'idle' && (
        <p className="muted">
          Drop a CSV file anywhere on this window, or choose one. LocalTune reads it where it is and never changes it. Typical columns:
          instruction / input / output, prompt / response, or a single text column.
        </p>
      )}
      {phase === 'uploading' && chosenFile && (
        <p className="muted" role="status">
          Copying {chosenFile.name} ({formatBytes(chosenFile.sizeBytes)}) into LocalTune’s home folder…
        </p>
      )}
      {phase === 'reading' && (
        <>
          <p className="muted" role="status">
            Reading {fileName}: counting rows, checking every row and column…
          </p>
          <ImportProgressBar key={fileName} fileName={fileName} />
        </>
      )}
      {error && <ErrorAlert error={error} />}
      {phase === 'unusable' && inspection && (
        <p role="alert" className="data-error">
          LocalTune cannot use {inspection.fileName}: see below. Choose a CSV or TSV text file (export it from your spreadsheet as “CSV UTF-8”).
        </p>
      )}
      {inspection && <FileFacts inspection={inspection} />}
      {layout && (phase === 'ready' || phase === 'reading') && (
        <label className="checkbox data-header-toggle">
          <input type="checkbox" checked={!layout.hasHeader} disabled={busy} onChange={(event) => void headerChoiceChanged(!event.currentTarget.checked)} />
          My file has no header (its first row is data)
        </label>
      )}
      {inspection && <ProblemList problems={inspection.problems} counts={inspection.problemCounts} />}
      {!inspection && preview && preview.problems.length > 0 && <ProblemList problems={preview.problems} counts={{}} />}
    </section>
  )
}

import { useEffect } from 'react'
import type { RunResults } from '../../../shared/contract'
import { useHostCapabilities } from '../../stores/host-capabilities-store'
import { goToScreen } from '../../stores/navigation-store'
import { useLiveRunId, useLiveRunSummary } from '../../stores/live-run-store'
import { useFolderMessage, useRunResults, useRunResultsError, useRunResultsLoading } from '../../stores/run-results-store'
import { formatBytes, isLiveStatus, statusLabels } from '../runs/run-labels'
import { CopyButton } from './copy-button'
import { ExportPanel } from './export-panel'
import { PlaygroundPanel } from './playground-panel'
import { loadResults, openRunFolder } from './results-service'
import './results.css'

function OutputFolder({ results }: { results: RunResults }) {
  const folderMessage = useFolderMessage()
  const { openFolder } = useHostCapabilities()
  if (!results.outputDir) return null
  return (
    <section className="panel" aria-labelledby="output-title">
      <header className="panel-header">
        <h3 id="output-title">Output folder</h3>
        <span className="muted small">{formatBytes(results.totalBytes)} in {results.files.length} files</span>
      </header>
      <p className="output-path">
        <code data-testid="output-dir">{results.outputDir}</code>
      </p>
      <div className="button-row">
        <CopyButton text={results.outputDir} label="Copy path" />
        {/* Only a host that declares it (the desktop app) can open a file manager; a browser tab copies the path. */}
        {openFolder && (
          <button type="button" className="secondary small-button" onClick={() => void openRunFolder(results.runId)}>
            Open folder
          </button>
        )}
        {folderMessage && <span className="muted small">{folderMessage}</span>}
      </div>
      <table className="file-table" aria-label="Files produced">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col" className="numeric">
              Size
            </th>
          </tr>
        </thead>
        <tbody>
          {results.files.map((file) => (
            <tr key={file.path}>
              <td>
                <code>{file.path}</code>
              </td>
              <td className="numeric">{formatBytes(file.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function Snippet({ results }: { results: RunResults }) {
  if (!results.snippet) return null
  return (
    <section className="panel" aria-labelledby="snippet-title">
      <header className="panel-header">
        <h3 id="snippet-title">Use it ({results.snippet.language === 'python' ? 'Python: transformers + peft' : 'shell'})</h3>
        <CopyButton text={results.snippet.code} label="Copy code" />
      </header>
      <p className="muted small">{results.snippet.note}</p>
      <pre className="snippet" data-testid="snippet">
        {results.snippet.code}
      </pre>
    </section>
  )
}

function ModelCard({ card }: { card: string | null }) {
  if (!card) return null
  return (
    <section className="panel" aria-labelledby="card-title">
      <details>
        <summary>
          <h3 id="card-title" className="inline-heading">
            Model card (final/README.md)
          </h3>
        </summary>
        <pre className="model-card">{card}</pre>
      </details>
    </section>
  )
}

/** RESULTS: what the run on screen produced, how to use it, and a playground to try it. */
export function ResultsScreen() {
  const runId = useLiveRunId()
  const summary = useLiveRunSummary()
  const results = useRunResults()
  const loading = useRunResultsLoading()
  const error = useRunResultsError()
  const status = summary?.status ?? null

  // Read again when the run ends (or is resumed and stopped): final/ changes then.
  useEffect(() => {
    if (runId) void loadResults(runId)
  }, [runId, status])

  if (!runId) {
    return (
      <section className="panel">
        <p>No run is open. Open one from History, or try the demo.</p>
        <div className="button-row">
          <button type="button" onClick={() => goToScreen('history')}>
            Open History
          </button>
        </div>
      </section>
    )
  }
  if (error) {
    return (
      <section className="panel" role="alert">
        <p className="error-text preline">{error}</p>
      </section>
    )
  }
  if (!results || results.runId !== runId) return <p className="muted">{loading ? 'Reading the results…' : ''}</p>
  return (
    <div className="screen-stack results-screen">
      <section className="panel run-header" aria-label="Run">
        <p>
          Run <code>{runId}</code> · {statusLabels[results.status]}
          {summary && ` · ${summary.baseModel}`}
        </p>
        {status && isLiveStatus(status) && <p className="muted">This run is still training: its results appear here when it ends or is stopped.</p>}
        {!results.outputDir && status && !isLiveStatus(status) && <p className="muted">This run saved no model (it ended before its first save).</p>}
      </section>
      <OutputFolder results={results} />
      <Snippet results={results} />
      <PlaygroundPanel results={results} />
      <ExportPanel results={results} />
      <ModelCard card={results.modelCard} />
    </div>
  )
}

import { useEffect, useId } from 'react'
import { exportFormatLabels, ggufQuantLabels, ggufQuantSchema, type ExportFormat, type ExportRecord, type RunResults } from '../../../shared/contract'
import {
  exportActions,
  useExportChoice,
  useExportError,
  useExportPlan,
  useExportPlanError,
  useExportProgress,
  useAutoTrainError,
  useAutoTrainSaved,
  useExportRecords
} from '../../stores/export-store'
import { formatBytes } from '../runs/run-labels'
import { CopyButton } from './copy-button'
import { loadExports, planExport, saveAutoTrainConfig, startExport } from './export-service'
import './export-panel.css'

const stageLabels = { plan: 'Preparing', load: 'Loading the trained model', reference: 'Answering the reference prompts', write: 'Writing', verify: 'Verifying', done: 'Done' } as const

// GGUF first: it is what people run their models with (Ollama, LM Studio, llama.cpp).
const formatOrder: ExportFormat[] = ['gguf', 'merged', 'adapter']

const statusLabels = { same: 'verified', close: 'verified (close)', different: 'answers differ', failed: 'not verified' } as const

function title(record: ExportRecord): string {
  return record.format === 'gguf' ? `GGUF ${record.quant}` : record.format === 'merged' ? 'Merged model' : 'PEFT adapter'
}

function Verification({ record }: { record: ExportRecord }) {
  const verification = record.verification
  return (
    <>
      <p className={`export-verdict export-${verification.status}`} data-testid="export-verification">
        {verification.summary}
      </p>
      {(verification.prompts.length > 0 || verification.templates.length > 0) && (
        <details className="small">
          <summary>What was compared</summary>
          <table className="file-table" aria-label="Reference prompts">
            <thead>
              <tr>
                <th scope="col">Prompt (end)</th>
                <th scope="col">Prompt tokens</th>
                <th scope="col" className="numeric">
                  Answer tokens agreeing
                </th>
                <th scope="col">Trained model</th>
                <th scope="col">Export</th>
              </tr>
            </thead>
            <tbody>
              {verification.prompts.map((prompt, index) => (
                <tr key={index}>
                  <td>
                    <code>…{prompt.prompt.slice(-40)}</code>
                  </td>
                  <td>{prompt.tokensMatch ? `same ${prompt.promptTokens}` : 'different'}</td>
                  <td className="numeric">
                    {prompt.agreeingTokens} of {prompt.answerTokens}
                  </td>
                  <td>
                    <code>{prompt.expectedText}</code>
                  </td>
                  <td>
                    <code>{prompt.actualText}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <ul>
            {verification.templates.map((check) => (
              <li key={check.name}>
                {check.matches ? '✓' : '✗'} {check.name}: {check.detail}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  )
}

function ExportCard({ record }: { record: ExportRecord }) {
  const ollama = record.instructions.find((instruction) => instruction.tool === 'Ollama')
  return (
    <article className="export-card" data-testid={`export-${record.id}`} aria-label={`${title(record)} export`}>
      <header className="panel-header">
        <h4>
          {title(record)} · {formatBytes(record.totalBytes)}
        </h4>
        <span className={`status-badge export-badge-${record.verification.status}`}>{statusLabels[record.verification.status]}</span>
      </header>
      <Verification record={record} />
      <p className="output-path">
        <code>{record.outDir}</code> <CopyButton text={record.outDir} label="Copy path" />
      </p>
      <ul className="small export-files">
        {record.files.map((file) => (
          <li key={file.path}>
            <code>{file.path}</code> <span className="muted">{formatBytes(file.bytes)}</span>
          </li>
        ))}
      </ul>
      {record.modelfile && (
        <section aria-label="Ollama">
          <div className="button-row">
            <strong>Ollama</strong>
            {ollama && <CopyButton text={ollama.code} label="Copy commands" />}
            <CopyButton text={record.modelfile} label="Copy Modelfile" />
          </div>
          {ollama && <pre className="snippet" data-testid="ollama-commands">{ollama.code}</pre>}
          <details>
            <summary className="small">Modelfile</summary>
            <pre className="snippet" data-testid="modelfile">
              {record.modelfile}
            </pre>
          </details>
        </section>
      )}
      {record.instructions
        .filter((instruction) => instruction.tool !== 'Ollama')
        .map((instruction) => (
          <details key={instruction.tool}>
            <summary className="small">{instruction.tool}</summary>
            <pre className="snippet">{instruction.code}</pre>
            <p className="muted small">{instruction.note}</p>
          </details>
        ))}
      {record.notes.map((note) => (
        <p key={note} className="muted small">
          {note}
        </p>
      ))}
    </article>
  )
}

/** The run's settings for AutoTrain Advanced: config.yml beside train.csv (the texts it trained on). */
function AutoTrainConfig({ runId }: { runId: string }) {
  const saved = useAutoTrainSaved()
  const error = useAutoTrainError()
  return (
    <section className="export-autotrain" aria-label="AutoTrain config">
      <div className="button-row">
        <button type="button" className="secondary small-button" onClick={() => void saveAutoTrainConfig(runId)}>
          Save settings as an AutoTrain config
        </button>
        {saved && <CopyButton text={saved.yaml} label="Copy YAML" />}
      </div>
      {error && (
        <p role="alert" className="error-text preline small">
          {error}
        </p>
      )}
      {saved && (
        <>
          <p className="small">
            Saved <code>{saved.configPath}</code> and <code>{saved.csvPath}</code>: <code>autotrain --config {saved.configPath}</code>
          </p>
          <details>
            <summary className="small">config.yml</summary>
            <pre className="snippet" data-testid="autotrain-yaml">
              {saved.yaml}
            </pre>
          </details>
        </>
      )}
    </section>
  )
}

/**
 * EXPORT: the run's model for Ollama, LM Studio and llama.cpp (GGUF), or for transformers
 * (merged) and peft (adapter). The size and free space are shown before it starts; every export
 * is loaded in its tool and compared with the trained model, and the verdict stays with it.
 */
export function ExportPanel({ results }: { results: RunResults }) {
  const runId = results.runId
  const choice = useExportChoice()
  const plan = useExportPlan()
  const planError = useExportPlanError()
  const progress = useExportProgress()
  const error = useExportError()
  const records = useExportRecords()
  const quantId = useId()
  const exportable = results.outputDir !== null && !results.demo

  useEffect(() => {
    if (exportable) void loadExports(runId)
  }, [runId, exportable])
  useEffect(() => {
    if (exportable) void planExport(runId)
  }, [runId, exportable, choice.format, choice.quant])

  if (!exportable) {
    return (
      <section className="panel" aria-labelledby="export-title">
        <h3 id="export-title" className="panel-heading">
          Export
        </h3>
        <p className="muted">
          {results.demo
            ? 'The demo model is LocalTune\'s own byte-level model: Ollama, LM Studio, llama.cpp and transformers cannot load it. Train a real model to export it.'
            : 'Export opens when the run has saved its model (when it completes, or when it is stopped).'}
        </p>
      </section>
    )
  }
  const running = progress !== null
  const blocked = !plan || plan.refusal !== null || !plan.enoughSpace
  return (
    <section className="panel" aria-labelledby="export-title">
      <header className="panel-header">
        <h3 id="export-title">Export</h3>
        <span className="muted small">each export is loaded in its tool and must answer like the trained model</span>
      </header>
      <form
        className="export-form"
        onSubmit={(event) => {
          event.preventDefault()
          if (!running && !blocked) void startExport(runId)
        }}
      >
        <fieldset className="export-formats" aria-label="Export format" disabled={running}>
          {formatOrder.map((format) => (
            <label key={format} className="small">
              <input type="radio" name="export-format" value={format} checked={choice.format === format} onChange={() => exportActions().choiceChanged({ format })} /> {exportFormatLabels[format]}
            </label>
          ))}
        </fieldset>
        {choice.format === 'gguf' && (
          <div className="button-row">
            <label htmlFor={quantId} className="small">
              Type
            </label>
            <select id={quantId} value={choice.quant} disabled={running} onChange={(event) => exportActions().choiceChanged({ quant: ggufQuantSchema.parse(event.target.value) })}>
              {ggufQuantSchema.options.map((quant) => (
                <option key={quant} value={quant}>
                  {ggufQuantLabels[quant]}
                </option>
              ))}
            </select>
            <label className="small">
              <input type="checkbox" checked={choice.ollama} disabled={running} onChange={(event) => exportActions().choiceChanged({ ollama: event.target.checked })} /> Ollama Modelfile
            </label>
          </div>
        )}
        <div data-testid="export-plan" className="small">
          {planError && (
            <p role="alert" className="error-text preline">
              {planError}
            </p>
          )}
          {!plan && !planError && <p className="muted">Estimating the size…</p>}
          {plan?.refusal && (
            <p role="alert" className="error-text">
              {plan.refusal}
            </p>
          )}
          {plan && !plan.refusal && (
            <p className={plan.enoughSpace ? 'muted' : 'error-text'}>
              About {formatBytes(plan.estimatedBytes)} to <code>{plan.outDir}</code>
              {plan.freeBytes !== null && ` · ${formatBytes(plan.freeBytes)} free`}
              {!plan.enoughSpace && ' · not enough space: free some, or export from the command line with --out on another disk'}
              {plan.replaces.length > 0 && ` · replaces the ${plan.replaces.length} files there`}
            </p>
          )}
        </div>
        <div className="button-row">
          <button type="submit" disabled={running || blocked}>
            {running ? 'Exporting…' : 'Export'}
          </button>
        </div>
      </form>
      {progress && (
        <div className="export-progress" data-testid="export-progress">
          <progress max={1} value={progress.fraction ?? undefined} aria-label="Export progress" />
          <span className="small">
            {stageLabels[progress.stage]}: {progress.message}
          </span>
        </div>
      )}
      {error && (
        <p role="alert" className="error-text preline small">
          {error}
        </p>
      )}
      <AutoTrainConfig runId={runId} />
      {records.length > 0 && (
        <div className="export-records">
          {records.map((record) => (
            <ExportCard key={record.id} record={record} />
          ))}
        </div>
      )}
    </section>
  )
}

import type { ModelCatalogEntry } from '../../../shared/contract'
import { filterCatalog, sameModel, useModelCatalog, useModelCatalogActions, useModelCatalogState, useModelQuery } from '../../stores/model-catalog-store'
import { useChosenModel, useModelChosen } from '../../stores/model-choice-store'
import { catalogRequested, modelPicked } from './model-catalog-service'
import { architectureLabel, dtypeLabel, foundInLabel, parametersLabel } from './model-labels'

function Presence({ present, yes, no }: { present: boolean; yes: string; no: string }) {
  return <span className={present ? 'model-yes' : 'model-no'}>{present ? `✓ ${yes}` : `✗ ${no}`}</span>
}

export function ModelCard({ entry }: { entry: ModelCatalogEntry }) {
  const chosen = useChosenModel()
  const modelChosen = useModelChosen()
  const isChosen = chosen !== null && sameModel(chosen, entry)
  const trainable = entry.architecture !== null
  return (
    <li className={`model-card${isChosen ? ' model-chosen' : ''}`} data-testid={`model-${entry.id}`} aria-current={isChosen ? 'true' : undefined}>
      <div className="model-card-head">
        <strong className="model-name">{entry.displayName}</strong>
        {entry.isDemo && (
          <span className="badge badge-demo" title="Not a real language model: a ~1M-parameter byte-level model that shows the whole workflow on any computer">
            Demo model
          </span>
        )}
        <button type="button" className={isChosen ? 'secondary' : ''} disabled={!trainable} aria-pressed={isChosen} onClick={() => modelPicked(entry, modelChosen)} aria-label={`${isChosen ? 'Chosen' : 'Choose'}: ${entry.displayName}`}>
          {isChosen ? 'Chosen' : 'Choose'}
        </button>
      </div>
      {entry.isDemo && <p className="small muted">Built into LocalTune for trying things out: it learns the shape of your data in minutes on the CPU, but it is not a real language model.</p>}
      {!entry.isDemo && entry.cpuCapable && (
        <p className="small muted" data-testid="model-cpu-note">
          Small enough to train on a CPU too, slowly, where there is no NVIDIA GPU (the estimate shows how long).
        </p>
      )}
      <dl className="model-facts">
        <dt>Parameters</dt>
        <dd>{parametersLabel(entry)}</dd>
        <dt>Architecture</dt>
        <dd>{architectureLabel(entry)}</dd>
        <dt>Max positions</dt>
        <dd>{entry.architecture?.maxPositionEmbeddings?.toLocaleString('en-US') ?? 'not stated'}</dd>
        <dt>Weights dtype</dt>
        <dd>{dtypeLabel(entry)}</dd>
        <dt>Tokenizer</dt>
        <dd>
          <Presence present={entry.hasTokenizer} yes="tokenizer.json" no="no tokenizer.json (token counts approximate)" /> · <Presence present={entry.hasChatTemplate} yes="chat template" no="no chat template" />
        </dd>
        <dt>Found in</dt>
        <dd className="model-path">{foundInLabel(entry)}</dd>
      </dl>
      {entry.problems.length > 0 && (
        <ul className="model-problems small">
          {entry.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </li>
  )
}

export function ModelList() {
  const list = useModelCatalog()
  const state = useModelCatalogState()
  const query = useModelQuery()
  const { queryChanged } = useModelCatalogActions()
  const shown = list ? filterCatalog(list.models, query) : []
  return (
    <section className="panel" aria-labelledby="model-list-title">
      <div className="panel-header">
        <h3 id="model-list-title">Models on this computer</h3>
        <button type="button" className="secondary" onClick={() => void catalogRequested(true)} disabled={state.status === 'busy'}>
          {state.status === 'busy' ? 'Looking…' : 'Look again'}
        </button>
      </div>
      <label className="field">
        <span>Search models</span>
        <input type="search" value={query} onChange={(event) => queryChanged(event.target.value)} placeholder="name, architecture, folder…" />
      </label>
      {list && (
        <p className="small muted">
          Looked in the built-in models, the Hugging Face cache at <code>{list.cacheDir}</code>
          {list.folders.length > 0 ? ` and ${list.folders.length} folder${list.folders.length === 1 ? '' : 's'} of yours` : ''}.
        </p>
      )}
      {state.status === 'failed' && (
        <p role="alert" className="error-text">
          {state.message}
        </p>
      )}
      {list && shown.length === 0 && <p className="muted">No model matches “{query}”.</p>}
      <ul className="model-list" aria-label="Models">
        {shown.map((entry) => (
          <ModelCard key={`${entry.id}|${entry.path ?? ''}`} entry={entry} />
        ))}
      </ul>
    </section>
  )
}

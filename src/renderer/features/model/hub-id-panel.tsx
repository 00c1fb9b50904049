import { useId, useState } from 'react'
import { useHubLookupState, useModelCatalog } from '../../stores/model-catalog-store'
import { hubLookupRequested } from './model-catalog-service'
import { ModelCard } from './model-list'

/** A Hugging Face id typed in: found in the local cache, or told plainly why not (LocalTune never downloads). */
export function HubIdPanel() {
  const [id, setId] = useState('')
  const state = useHubLookupState()
  const list = useModelCatalog()
  const inputId = useId()
  return (
    <section className="panel" aria-labelledby="hub-id-title">
      <div className="panel-header">
        <h3 id="hub-id-title">A Hugging Face model id</h3>
      </div>
      <p className="small muted">
        LocalTune works offline: it trains models already on this computer, in the Hugging Face cache{list ? <> (<code>{list.cacheDir}</code>)</> : null} or a folder you added. It never downloads.
      </p>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault()
          void hubLookupRequested(id)
        }}
      >
        <label htmlFor={inputId}>Hugging Face id</label>
        <input id={inputId} value={id} onChange={(event) => setId(event.target.value)} placeholder="Qwen/Qwen2.5-0.5B-Instruct" spellCheck={false} />
        <button type="submit" disabled={state.status === 'busy'}>
          {state.status === 'busy' ? 'Looking…' : 'Find in cache'}
        </button>
      </form>
      <div aria-live="polite">
        {state.status === 'failed' && (
          <p role="alert" className="error-text" data-testid="hub-id-message">
            {state.message}
          </p>
        )}
        {state.status === 'done' && (
          <ul className="model-list" aria-label="Found by id">
            <ModelCard entry={state.value} />
          </ul>
        )}
      </div>
    </section>
  )
}

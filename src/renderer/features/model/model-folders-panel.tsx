import { useId, useState } from 'react'
import { useFolderAddState, useModelCatalog } from '../../stores/model-catalog-store'
import { folderAddRequested, folderRemoveRequested } from './model-catalog-service'

/** "Add a folder…": a path field (the desktop preload has no folder picker yet), and the folders already remembered. */
export function ModelFoldersPanel() {
  const [folder, setFolder] = useState('')
  const state = useFolderAddState()
  const list = useModelCatalog()
  const inputId = useId()
  const add = async () => {
    if (await folderAddRequested(folder)) setFolder('')
  }
  return (
    <section className="panel" aria-labelledby="model-folders-title">
      <div className="panel-header">
        <h3 id="model-folders-title">Add a folder…</h3>
      </div>
      <p className="small muted">A folder that holds a model (its config.json, weights and tokenizer), or a folder of such folders. LocalTune remembers it.</p>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault()
          void add()
        }}
      >
        <label htmlFor={inputId}>Folder path</label>
        <input id={inputId} value={folder} onChange={(event) => setFolder(event.target.value)} placeholder="/home/me/models/my-model" spellCheck={false} aria-describedby={`${inputId}-status`} />
        <button type="submit" disabled={state.status === 'busy'}>
          {state.status === 'busy' ? 'Reading…' : 'Add folder'}
        </button>
      </form>
      <div id={`${inputId}-status`} aria-live="polite">
        {state.status === 'failed' && (
          <p role="alert" className="error-text">
            {state.message}
          </p>
        )}
        {state.status === 'done' && (
          <p className="small">
            Added {state.value.added}: {state.value.found} model{state.value.found === 1 ? '' : 's'} found.
          </p>
        )}
      </div>
      {list && list.folders.length > 0 && (
        <ul className="folder-list" aria-label="Your model folders">
          {list.folders.map((path) => (
            <li key={path}>
              <code>{path}</code>
              <button type="button" className="secondary small-button" onClick={() => void folderRemoveRequested(path)} aria-label={`Forget the folder ${path}`}>
                Forget
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

import { useId, useState } from 'react'
import { FolderPathField } from '../machine/folder-path-field'
import { useFolderAddState, useModelCatalog } from '../../stores/model-catalog-store'
import { folderAddRequested, folderRemoveRequested } from './model-catalog-service'

/** "Add a folder…": a path field (and the folder picker, in the desktop app), and the folders already remembered. */
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
        <FolderPathField label="Folder path" value={folder} onChange={setFolder} pickerTitle="A folder that holds a model, or a folder of model folders" placeholder="/home/me/models/my-model" />
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

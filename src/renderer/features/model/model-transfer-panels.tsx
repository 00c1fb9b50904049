import { useId, useState, type ReactNode } from 'react'
import { useModelCatalog } from '../../stores/model-catalog-store'
import { FolderPathField } from '../machine/folder-path-field'
import { formatBytes } from '../runs/run-labels'
import { addModelFromDiskRequested, packModelRequested, transferCancelRequested, type TransferFollow, type TransferOutcome, type TransferProgress } from './model-transfer-service'

function Outcome({ outcome, testId }: { outcome: TransferOutcome | null; testId: string }): ReactNode {
  if (!outcome) return null
  return outcome.ok ? (
    <p className="small ok-text" role="status" data-testid={testId}>
      {outcome.message}
    </p>
  ) : (
    <p className="error-text" role="alert" data-testid={testId}>
      {outcome.message}
    </p>
  )
}

/** One copy's state in a panel: running or not, its progress, its id (to cancel), and how it ended. */
function useTransfer() {
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<TransferOutcome | null>(null)
  const [progress, setProgress] = useState<TransferProgress | null>(null)
  const [transferId, setTransferId] = useState<string | null>(null)
  const follow: TransferFollow = { onStarted: setTransferId, onProgress: setProgress }
  const start = (work: (follow: TransferFollow) => Promise<TransferOutcome>) => {
    setBusy(true)
    setOutcome(null)
    setProgress(null)
    void work(follow).then((result) => {
      setOutcome(result)
      setBusy(false)
      setTransferId(null)
      setProgress(null)
    })
  }
  const cancel = transferId ? () => void transferCancelRequested(transferId) : null
  return { busy, outcome, progress, start, cancel }
}

/** The copy's bar (bytes of all files, and the file being copied) and its Cancel button. */
function TransferProgressBar({ progress, cancel, what, testId }: { progress: TransferProgress | null; cancel: (() => void) | null; what: string; testId: string }) {
  const total = progress?.bytesTotal ?? 0
  const done = progress?.bytesDone ?? 0
  return (
    <div className="transfer-progress" data-testid={testId}>
      <progress max={total || undefined} value={total ? done : undefined} aria-label={what} />
      <span className="muted small" role="status">
        {progress ? `${formatBytes(done)} of ${formatBytes(total)} · ${progress.file}` : `${what}…`}
      </span>
      {cancel && (
        <button type="button" className="secondary" onClick={cancel}>
          Cancel
        </button>
      )}
    </div>
  )
}

/** "Pack for another machine": a model from the list, with its tokenizer and config, into a folder to carry (e.g. a USB disk). */
export function PackModelPanel() {
  const list = useModelCatalog()
  const [model, setModel] = useState('')
  const [outDir, setOutDir] = useState('')
  const { busy, outcome, progress, start, cancel } = useTransfer()
  const selectId = useId()
  // A cached model is named by its Hub id; a folder model by its path. The demo is built in.
  const packable = (list?.models ?? []).filter((entry) => !entry.isDemo && entry.path !== null)
  return (
    <section className="panel" aria-labelledby="pack-model-title">
      <div className="panel-header">
        <h3 id="pack-model-title">Pack for another machine</h3>
      </div>
      <p className="small muted">Copies a model with its tokenizer, config and a checksum of every file into a folder, for a machine with no network.</p>
      <form
        className="transfer-form"
        onSubmit={(event) => {
          event.preventDefault()
          start((follow) => packModelRequested(model, outDir.trim(), follow))
        }}
      >
        <label htmlFor={selectId}>Model to pack</label>
        <select id={selectId} value={model} onChange={(event) => setModel(event.target.value)} disabled={busy}>
          <option value="">Choose a model…</option>
          {packable.map((entry) => {
            const value = entry.source === 'hf-cache' ? entry.id : (entry.path as string)
            return (
              <option key={`${entry.id}:${entry.path}`} value={value}>
                {entry.displayName} ({entry.source === 'hf-cache' ? 'Hugging Face cache' : entry.path})
              </option>
            )
          })}
        </select>
        <FolderPathField label="Folder to pack into" value={outDir} onChange={setOutDir} pickerTitle="A new or empty folder to pack the model into" placeholder="/media/usb/my-model" disabled={busy} />
        <button type="submit" disabled={busy}>
          {busy ? 'Packing…' : 'Pack the model'}
        </button>
      </form>
      {busy && <TransferProgressBar progress={progress} cancel={cancel} what="Packing the model" testId="pack-model-progress" />}
      <Outcome outcome={outcome} testId="pack-model-message" />
    </section>
  )
}

/** "Add a model from a folder or disk": into the Hugging Face cache (checked), or used where it is. */
export function AddModelFromDiskPanel() {
  const [folder, setFolder] = useState('')
  const [how, setHow] = useState<'cache' | 'in-place'>('cache')
  const [id, setId] = useState('')
  const { busy, outcome, progress, start, cancel } = useTransfer()
  const idField = useId()
  return (
    <section className="panel" aria-labelledby="add-model-disk-title">
      <div className="panel-header">
        <h3 id="add-model-disk-title">Add a model from a folder or disk</h3>
      </div>
      <p className="small muted">A folder made by "Pack for another machine" on a connected machine, or any model folder (config.json, weights, tokenizer).</p>
      <form
        className="transfer-form"
        onSubmit={(event) => {
          event.preventDefault()
          start((follow) => addModelFromDiskRequested(folder.trim(), how, id, follow))
        }}
      >
        <FolderPathField label="Model folder to add" value={folder} onChange={setFolder} pickerTitle="The folder that holds the model" placeholder="/media/usb/my-model" disabled={busy} />
        <fieldset disabled={busy}>
          <legend className="small">How</legend>
          <label className="checkbox">
            <input type="radio" name="add-model-how" checked={how === 'cache'} onChange={() => setHow('cache')} />
            Copy it into the Hugging Face cache (files and weights checked; the disk can go afterwards)
          </label>
          <label className="checkbox">
            <input type="radio" name="add-model-how" checked={how === 'in-place'} onChange={() => setHow('in-place')} />
            Use the folder where it is (it must stay there)
          </label>
        </fieldset>
        {how === 'cache' && (
          <>
            <label htmlFor={idField}>Id to file it under (org/name; a packed folder names its own)</label>
            <input id={idField} value={id} onChange={(event) => setId(event.target.value)} placeholder="acme/my-model" spellCheck={false} disabled={busy} />
          </>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add the model'}
        </button>
      </form>
      {busy && how === 'cache' && <TransferProgressBar progress={progress} cancel={cancel} what="Copying the model into the Hugging Face cache" testId="add-model-disk-progress" />}
      <Outcome outcome={outcome} testId="add-model-disk-message" />
    </section>
  )
}

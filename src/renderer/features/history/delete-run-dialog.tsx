import { ModalDialog } from '../../app/modal-dialog'
import { useDeleteCancelled, useDeleteError, useDeleteTarget, useDeleting } from '../../stores/run-history-store'
import { deleteConfirmed } from './history-service'

/** Asks before a run and its folder (checkpoints, final model, logs) are deleted for good. */
export function DeleteRunDialog() {
  const target = useDeleteTarget()
  const deleting = useDeleting()
  const error = useDeleteError()
  const cancelled = useDeleteCancelled()
  return (
    <ModalDialog open={target !== null} title="Delete this run?" onClose={() => !deleting && cancelled()}>
      {target && (
        <>
          <p>
            Run <code>{target.id}</code> ({target.baseModel}) and its folder will be deleted: checkpoints, the trained model, the logs and the curves.
            This cannot be undone.
          </p>
          <p className="muted small">
            <code>{target.runDir}</code>
          </p>
          {error && (
            <p role="alert" className="error-text preline">
              {error}
            </p>
          )}
          <div className="button-row dialog-buttons">
            <button type="button" className="secondary" onClick={cancelled} disabled={deleting}>
              Cancel
            </button>
            <button type="button" className="danger" onClick={() => void deleteConfirmed()} disabled={deleting}>
              {deleting ? 'Deleting…' : 'Delete run and folder'}
            </button>
          </div>
        </>
      )}
    </ModalDialog>
  )
}

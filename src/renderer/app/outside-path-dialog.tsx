import type { OutsidePath } from '../../shared/user-folders'
import { ModalDialog } from './modal-dialog'
import { outsidePathQuestionAnswered, useOutsidePathQuestion } from './outside-path-confirmation'

const risks: Record<OutsidePath['use'], string> = {
  'write into': 'Folders outside yours can belong to the system or to other programs; files LocalTune writes there can replace theirs.',
  'read from': 'Folders outside yours can belong to the system or to other programs; LocalTune would load what it finds there: show it on screen, train on it, or (a runtime folder) install and run its code.'
}

/** Asks before LocalTune reads from or writes into a path outside the user's folders (see outside-path-confirmation.ts). */
export function OutsidePathDialog() {
  const asking = useOutsidePathQuestion()
  return (
    <ModalDialog open={asking !== null} title="A path outside your folders" onClose={() => outsidePathQuestionAnswered(false)}>
      {asking && (
        <>
          {asking.map((one) => (
            <p key={`${one.field} ${one.path}`} data-testid="outside-path-text">
              LocalTune will {one.use} <code>{one.path}</code>
              {one.what ? ` (${one.what})` : ''}, outside your folders. {risks[one.use]}
            </p>
          ))}
          <p className="small muted">Your folders: your home folder, the LocalTune home, the Hugging Face cache, the temp folder and removable disks. Allow only a folder you chose yourself.</p>
          <div className="button-row">
            <button type="button" autoFocus onClick={() => outsidePathQuestionAnswered(false)}>
              Cancel
            </button>
            <button type="button" onClick={() => outsidePathQuestionAnswered(true)}>
              {asking.length > 1 ? 'Allow these paths' : 'Allow this path'}
            </button>
          </div>
        </>
      )}
    </ModalDialog>
  )
}

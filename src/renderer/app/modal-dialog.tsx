import { useEffect, useId, useRef, type ReactNode } from 'react'
import './modal-dialog.css'

interface ModalDialogProps {
  open: boolean
  title: string
  /** Called for Escape and for the dialog's own close controls; the caller decides to close. */
  onClose(): void
  children: ReactNode
  className?: string
}

/**
 * A real modal dialog on the platform's <dialog>: showModal() makes the page behind it inert,
 * moves focus into it (to the element marked autoFocus, else the first control), Escape asks
 * to close, and focus returns to where it was when it closes. Titled for screen readers.
 */
export function ModalDialog({ open, title, onClose, children, className }: ModalDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null)
  const titleId = useId()

  useEffect(() => {
    const element = dialog.current
    if (!element) return
    if (open && !element.open) element.showModal()
    if (!open && element.open) element.close()
  }, [open])

  return (
    <dialog
      ref={dialog}
      className={`modal-dialog${className ? ` ${className}` : ''}`}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault()
        onClose()
      }}
    >
      {open && (
        <>
          <h3 id={titleId} className="modal-title">
            {title}
          </h3>
          {children}
        </>
      )}
    </dialog>
  )
}

import { useRef, type ReactNode } from 'react'

/**
 * A real button that opens the system's file picker (the file input itself is hidden: it
 * cannot be styled or labelled well). The input is cleared after each choice, so choosing the
 * same file again (after editing it) reads it again.
 */
export function FilePickerButton({
  children,
  onFile,
  accept = '.csv,.tsv,.txt',
  className,
  disabled,
  inputLabel
}: {
  children: ReactNode
  onFile(file: File): void
  accept?: string
  className?: string
  disabled?: boolean
  /** The hidden input's accessible name (tests and assistive tech can still reach it). */
  inputLabel: string
}) {
  const input = useRef<HTMLInputElement>(null)
  return (
    <>
      <button type="button" className={className} disabled={disabled} onClick={() => input.current?.click()}>
        {children}
      </button>
      <input
        ref={input}
        type="file"
        accept={accept}
        hidden
        aria-label={inputLabel}
        onChange={(event) => {
          const file = event.currentTarget.files?.[0]
          event.currentTarget.value = ''
          if (file) onFile(file)
        }}
      />
    </>
  )
}

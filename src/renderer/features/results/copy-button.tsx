import { useEffect, useState } from 'react'
import { copyText } from './copy-text'

/** A button that copies `text` and says so for a moment (announced to screen readers). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [outcome, setOutcome] = useState<'copied' | 'failed' | null>(null)
  useEffect(() => {
    if (!outcome) return
    const timer = setTimeout(() => setOutcome(null), 2500)
    return () => clearTimeout(timer)
  }, [outcome])
  return (
    <span className="copy-button">
      <button type="button" className="secondary small-button" onClick={() => void copyText(text).then((copied) => setOutcome(copied ? 'copied' : 'failed'))}>
        {label}
      </button>
      <span role="status" className="muted small">
        {outcome === 'copied' ? 'Copied.' : outcome === 'failed' ? 'Could not copy: select the text and copy it.' : ''}
      </span>
    </span>
  )
}

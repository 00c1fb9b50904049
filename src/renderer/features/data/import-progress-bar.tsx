import { useEffect, useState } from 'react'
import { useImportProgress } from '../../stores/dataset-intake-store'
import { formatBytes, formatCount } from './csv-labels'

// Most files are read before a bar could mean anything; it appears only when reading takes a while.
const showAfterMs = 300

/** How far the core has read the file, for files that take longer than a moment. */
export function ImportProgressBar({ fileName }: { fileName: string }) {
  const progress = useImportProgress()
  const [visible, setVisible] = useState(false)
  useEffect(() => {
    const timer = setTimeout(() => setVisible(true), showAfterMs)
    return () => clearTimeout(timer)
  }, [])
  if (!visible) return null
  const total = progress?.totalBytes ?? 0
  const read = progress?.bytesRead ?? 0
  return (
    <div className="data-progress">
      <progress max={total || undefined} value={total ? read : undefined} aria-label={`Reading ${fileName}`} />
      <span className="muted small">
        {progress ? `${formatBytes(read)} of ${formatBytes(total)} read · ${formatCount(progress.rowsRead)} rows so far` : `Reading ${fileName}…`}
      </span>
    </div>
  )
}

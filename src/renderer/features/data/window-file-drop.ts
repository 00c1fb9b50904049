import { useSyncExternalStore } from 'react'

const carriesFiles = (event: DragEvent): boolean => Array.from(event.dataTransfer?.types ?? []).includes('Files')

let dragging = false
let installed = false
const listeners = new Set<() => void>()

function draggingChanged(next: boolean): void {
  if (next === dragging) return
  dragging = next
  for (const listener of listeners) listener()
}

/**
 * Files dropped anywhere on the window, on any screen, go to `onDrop`. Installed once for the
 * app: without it the browser would open a dropped CSV itself and the app would be gone.
 */
export function installWindowFileDrop(onDrop: (files: File[]) => void): void {
  if (installed || typeof window === 'undefined') return
  installed = true
  // dragenter/dragleave fire for every element crossed: counting them tells when files left the window.
  let depth = 0
  window.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event)) return
    event.preventDefault()
    depth++
    draggingChanged(true)
  })
  window.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return
    event.preventDefault()
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy'
  })
  window.addEventListener('dragleave', (event) => {
    if (!carriesFiles(event)) return
    depth = Math.max(0, depth - 1)
    if (depth === 0) draggingChanged(false)
  })
  window.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return
    event.preventDefault()
    depth = 0
    draggingChanged(false)
    const files = Array.from(event.dataTransfer?.files ?? [])
    if (files.length > 0) onDrop(files)
  })
}

const subscribe = (listener: () => void) => {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Whether files are being dragged over the window now (to show where they will go). */
export function useFilesDraggedOver(): boolean {
  return useSyncExternalStore(subscribe, () => dragging)
}

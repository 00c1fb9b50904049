/** What the Electron preload exposes on `window.localtune`; absent in browser mode. */
export interface DesktopBridge {
  host: 'electron'
  invoke(channel: string, payload: unknown): Promise<unknown>
  subscribe(listener: (event: string, payload: unknown) => void): () => void
  pathForFile(file: File): string
}

declare global {
  interface Window {
    localtune?: DesktopBridge
  }
}

export function desktopBridge(): DesktopBridge | null {
  return typeof window !== 'undefined' && window.localtune ? window.localtune : null
}

import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { channelNames, eventNames } from '../shared/contract'

// The renderer's whole view of the machine: declared channels and event streams, nothing else.
// Raw ipcRenderer never crosses the bridge.
const allowedChannels = new Set<string>(channelNames)
const allowedEvents = new Set<string>(eventNames)

contextBridge.exposeInMainWorld('localtune', {
  host: 'electron',
  invoke(channel: string, payload: unknown): Promise<unknown> {
    if (!allowedChannels.has(channel)) return Promise.reject(new Error(`Unknown channel "${channel}".`))
    return ipcRenderer.invoke(`localtune:${channel}`, payload)
  },
  subscribe(listener: (event: string, payload: unknown) => void): () => void {
    const forward = (_event: unknown, message: { event: string; payload: unknown }) => {
      if (allowedEvents.has(message.event)) listener(message.event, message.payload)
    }
    ipcRenderer.on('localtune:event', forward)
    return () => ipcRenderer.removeListener('localtune:event', forward)
  },
  /** The real path of a dropped file (Electron only); the browser host uploads instead. */
  pathForFile(file: File): string {
    return webUtils.getPathForFile(file)
  }
})

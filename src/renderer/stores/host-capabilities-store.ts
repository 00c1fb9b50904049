import { useEffect } from 'react'
import { create } from 'zustand'
import type { HostCapabilities } from '../../shared/contract'
import { invoke } from '../api/client'

/**
 * What the host serving this window can do (host.capabilities): a native folder picker, opening
 * folders in the file manager. Asked once; until the answer comes (or if it fails) the renderer
 * offers neither, so a browser tab never shows a button that cannot work.
 */
const useHostCapabilitiesStore = create<{ capabilities: HostCapabilities | null; asked: boolean }>()(() => ({ capabilities: null, asked: false }))

async function capabilitiesRequested(): Promise<void> {
  if (useHostCapabilitiesStore.getState().asked) return
  useHostCapabilitiesStore.setState({ asked: true })
  try {
    useHostCapabilitiesStore.setState({ capabilities: await invoke('host.capabilities', {}) })
  } catch {
    // No answer: behave as a host without them (path fields, copyable paths); asked again next mount.
    useHostCapabilitiesStore.setState({ asked: false })
  }
}

const none: HostCapabilities = { pickFolder: false, openFolder: false }

export function useHostCapabilities(): HostCapabilities {
  const capabilities = useHostCapabilitiesStore((state) => state.capabilities)
  useEffect(() => {
    void capabilitiesRequested()
  }, [])
  return capabilities ?? none
}

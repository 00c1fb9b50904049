import { ContractCallError, invoke, subscribe } from '../../api/client'
import { hardwareActions, hardwareNow } from '../../stores/hardware-store'

/** Detects the machine (again with `refresh`) for the estimate. */
export async function hardwareSnapshotRequested(refresh = false): Promise<void> {
  const actions = hardwareActions()
  if (hardwareNow().loading) return
  actions.snapshotRequested()
  try {
    actions.snapshotLoaded(await invoke('hardware.snapshot', { refresh }))
  } catch (error) {
    const message = error instanceof ContractCallError || error instanceof Error ? error.message : String(error)
    actions.snapshotFailed(`LocalTune could not detect this machine's GPUs and memory: ${message}`)
  }
}

function newWatcherId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `panel-${Date.now()}-${Math.random().toString(36).slice(2)}`
}

/**
 * Live GPU memory while the estimate panel is open: takes a lease on hardware.watch, renews it
 * well before it runs out, and gives it back when the panel closes. Returns the close function.
 */
export function liveVramWatched(): () => void {
  const watcherId = newWatcherId()
  const actions = hardwareActions()
  let closed = false
  let renewTimer: ReturnType<typeof setTimeout> | null = null
  const unsubscribe = subscribe((event, payload) => {
    if (event === 'hardware.vram' && !closed) actions.vramSampled(payload as Parameters<typeof actions.vramSampled>[0])
  })
  const renew = async (): Promise<void> => {
    try {
      const answer = await invoke('hardware.watch', { on: true, watcherId })
      if (!closed) renewTimer = setTimeout(() => void renew(), Math.max(1000, answer.leaseMs / 3))
    } catch {
      // The host went away; the lease runs out on its own. Try again a little later.
      if (!closed) renewTimer = setTimeout(() => void renew(), 5000)
    }
  }
  void renew()
  return () => {
    closed = true
    if (renewTimer) clearTimeout(renewTimer)
    unsubscribe()
    actions.vramWatchEnded()
    invoke('hardware.watch', { on: false, watcherId }).catch(() => {
      // Nothing to undo: an unrenewed lease expires by itself.
    })
  }
}

import { ownerAlive } from './run-ownership'
import type { RunRow, RunStore } from './run-store'
import { runtimeAlive } from './run-summary'

export interface DeviceQueueDeps {
  store: RunStore
  /** The supervisor whose queued runs this queue starts. */
  hostToken: string
  /** How often queued runs look whether another LocalTune process freed their device. */
  pollIntervalMs: number
  hasAttempt(runId: string): boolean
  launch(row: RunRow): void
  /** A queued run first in line whose owner is gone. */
  recover(row: RunRow): void
}

/**
 * One job per device: the first queued run of a free device starts, the rest wait. The queue is
 * the `runs` table (status `queued`, ordered by queued_at), shared by every LocalTune process
 * over the home, so a GPU busy in the desktop app is busy for a `localtune train` too.
 */
export class DeviceQueue {
  private timer: NodeJS.Timeout | null = null
  private closed = false

  constructor(private readonly deps: DeviceQueueDeps) {}

  /** Starts the first queued run of every free device, when it is ours to start. */
  pump(): void {
    if (this.closed) return
    const { store, hostToken } = this.deps
    const devices = new Set(store.withStatus(['queued']).map((row) => row.device_key))
    let ownQueued = false
    for (const device of devices) {
      if (this.deviceBusy(device)) {
        ownQueued ||= store.queue(device).some((row) => row.host_token === hostToken)
        continue
      }
      for (const row of store.queue(device)) {
        if (row.host_token === hostToken) {
          this.deps.launch(row)
          break
        }
        if (ownerAlive(row)) {
          // Another LocalTune process is first in line for this device.
          ownQueued ||= store.queue(device).some((queued) => queued.host_token === hostToken)
          break
        }
        this.deps.recover(row)
      }
    }
    // Another process frees a device without telling us: look again while we have runs waiting.
    if (ownQueued && !this.timer) {
      this.timer = setInterval(() => this.pump(), this.deps.pollIntervalMs)
      this.timer.unref()
    } else if (!ownQueued && this.timer) {
      clearInterval(this.timer)
      this.timer = null
    }
  }

  close(): void {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  private deviceBusy(device: string): boolean {
    return this.deps.store
      .withStatus(['running', 'stopping'])
      .some(
        (row) =>
          row.device_key === device &&
          (this.deps.hasAttempt(row.id) || runtimeAlive(row) || (row.host_token !== this.deps.hostToken && row.pid === null && ownerAlive(row)))
      )
  }
}

import { ownerAlive } from './run-ownership'
import { queueDevicesOf } from './run-placement'
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
 * One job per device: a queued run starts when none of its devices (the CPU, or each of its
 * GPUs) is held by another run, the rest wait. The queue is the `runs` table (status `queued`,
 * ordered by queued_at), shared by every LocalTune process over the home, so a GPU busy in the
 * desktop app is busy for a `localtune train` too.
 *
 * First come, first served across overlapping runs: a run that waits holds its place on every
 * device it wants, so a run on GPUs 0 and 1 that waits for GPU 0 is not overtaken on GPU 1 by
 * one-GPU runs queued after it (it would wait for ever on a busy machine otherwise).
 */
export class DeviceQueue {
  private timer: NodeJS.Timeout | null = null
  private closed = false

  constructor(private readonly deps: DeviceQueueDeps) {}

  /** Starts every queued run whose devices are all free, when it is ours to start. */
  pump(): void {
    if (this.closed) return
    const { store, hostToken } = this.deps
    const taken = this.busyDevices()
    let ownWaiting = false
    for (const row of store.withStatus(['queued'])) {
      const devices = queueDevicesOf(row)
      if (devices.some((device) => taken.has(device))) {
        for (const device of devices) taken.add(device)
        ownWaiting ||= row.host_token === hostToken
        continue
      }
      if (row.host_token === hostToken) {
        this.deps.launch(row)
        for (const device of devices) taken.add(device)
        continue
      }
      if (ownerAlive(row)) {
        // Another LocalTune process is first in line for these devices and starts it.
        for (const device of devices) taken.add(device)
        continue
      }
      this.deps.recover(row)
    }
    // Another process frees a device without telling us: look again while we have runs waiting.
    if (ownWaiting && !this.timer) {
      this.timer = setInterval(() => this.pump(), this.deps.pollIntervalMs)
      this.timer.unref()
    } else if (!ownWaiting && this.timer) {
      clearInterval(this.timer)
      this.timer = null
    }
  }

  close(): void {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Devices a running (or stopping) run holds: ours, a live runtime, or a peer's run about to spawn. */
  private busyDevices(): Set<string> {
    const busy = new Set<string>()
    for (const row of this.deps.store.withStatus(['running', 'stopping'])) {
      const holds = this.deps.hasAttempt(row.id) || runtimeAlive(row) || (row.host_token !== this.deps.hostToken && row.pid === null && ownerAlive(row))
      if (holds) for (const device of queueDevicesOf(row)) busy.add(device)
    }
    return busy
  }
}

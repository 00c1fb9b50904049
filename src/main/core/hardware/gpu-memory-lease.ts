import type { GpuMemorySample } from '../../../shared/hardware/types'

/**
 * Live GPU memory readings only while someone looks at them. Each open panel holds a lease it
 * renews; polling starts with the first lease and stops when the last one is given back or
 * runs out, so a window that closed (or a browser tab that vanished) without saying so cannot
 * leave nvidia-smi running every few seconds forever.
 */

export type StartPolling = (intervalMs: number, onSample: (sample: GpuMemorySample) => void) => () => Promise<void>

export interface GpuMemoryLeaseOptions {
  intervalMs?: number
  leaseMs?: number
  /** Replaced in tests; `Date.now` otherwise. */
  now?: () => number
}

export class GpuMemoryLease {
  readonly intervalMs: number
  readonly leaseMs: number
  private readonly now: () => number
  private readonly leases = new Map<string, number>()
  private stopPolling: (() => Promise<void>) | null = null
  private expiryTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly startPolling: StartPolling,
    private readonly onSample: (sample: GpuMemorySample) => void,
    options: GpuMemoryLeaseOptions = {}
  ) {
    this.intervalMs = options.intervalMs ?? 2000
    this.leaseMs = options.leaseMs ?? 30_000
    this.now = options.now ?? Date.now
  }

  /** Takes or renews (`on`) or gives back a watcher's lease; returns whether readings are flowing. */
  watch(watcherId: string, on: boolean): boolean {
    if (on) this.leases.set(watcherId, this.now() + this.leaseMs)
    else this.leases.delete(watcherId)
    this.reconcile()
    return this.stopPolling !== null
  }

  get watching(): boolean {
    return this.stopPolling !== null
  }

  /** Drops every lease and stops polling (the core is closing). */
  close(): Promise<void> {
    this.leases.clear()
    return this.reconcile()
  }

  /** Forgets expired leases, then starts or stops polling to match what is left. */
  private reconcile(): Promise<void> {
    const now = this.now()
    for (const [id, expiresAt] of this.leases) if (expiresAt <= now) this.leases.delete(id)
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.expiryTimer = null
    if (this.leases.size === 0) {
      const stop = this.stopPolling
      this.stopPolling = null
      return stop ? stop() : Promise.resolve()
    }
    if (!this.stopPolling) this.stopPolling = this.startPolling(this.intervalMs, this.onSample)
    const nextExpiry = Math.min(...this.leases.values())
    this.expiryTimer = setTimeout(() => void this.reconcile(), Math.max(0, nextExpiry - now) + 5)
    this.expiryTimer.unref?.()
    return Promise.resolve()
  }
}

import type { RunSummary } from '../../../shared/contract/runs'
import { UserFacingError } from '../user-facing-error'
import type { RunStore } from './run-store'
import { isLiveStatus, runStatusOf } from './run-summary'

interface Waiter {
  check(): void
  cancel(): void
}

/**
 * Callers waiting for runs to end (`localtune train`, tests). Each waiter looks when this process
 * changes a run (`checkAll`) and every half second, because runs of other processes change only
 * in the database.
 */
export class RunWaiters {
  private readonly waiters = new Set<Waiter>()

  constructor(
    private readonly store: RunStore,
    private readonly summary: (runId: string) => RunSummary
  ) {}

  /** Resolves with the run's summary once it is no longer queued, running or stopping. */
  waitFor(runId: string, options: { timeoutMs?: number } = {}): Promise<RunSummary> {
    return new Promise((resolve, reject) => {
      const timers: NodeJS.Timeout[] = []
      const finish = (error: Error | null) => {
        this.waiters.delete(waiter)
        for (const timer of timers) clearTimeout(timer)
        if (error) reject(error)
        else resolve(this.summary(runId))
      }
      const waiter: Waiter = {
        check: () => {
          const row = this.store.get(runId)
          if (!row) finish(new UserFacingError(`Run ${runId} was deleted.`, { code: 'not_found' }))
          else if (!isLiveStatus(runStatusOf(row))) finish(null)
        },
        cancel: () => finish(new Error('The run supervisor closed while waiting for a run.'))
      }
      this.waiters.add(waiter)
      timers.push(setInterval(waiter.check, 500))
      if (options.timeoutMs !== undefined) {
        const seconds = Math.round(options.timeoutMs / 1000)
        const stillStatus = () => this.store.get(runId)?.status ?? 'deleted'
        timers.push(setTimeout(() => finish(new UserFacingError(`Run ${runId} is still ${stillStatus()} after ${seconds} s.`, { code: 'conflict' })), options.timeoutMs))
      }
      waiter.check()
    })
  }

  checkAll(): void {
    for (const waiter of [...this.waiters]) waiter.check()
  }

  cancelAll(): void {
    for (const waiter of [...this.waiters]) waiter.cancel()
  }
}

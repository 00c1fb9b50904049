import type { EventPayloadOf } from '../../../shared/contract'
import { onEventsReconnected, subscribe } from '../../api/client'
import { historyRunStatusPushed, loadHistory } from '../history/history-service'
import { currentRunResynced, restoreLiveRun, runEventPushed, runStatusPushed } from '../train/live-run-service'
import { runHistoryActions } from '../../stores/run-history-store'

let started = false

/**
 * One subscription for the whole app to the run streams, routed to the stores that show runs
 * (the Train/Results run and the History list), started once at launch together with the
 * restore of a run that was on screen before a reload. Terminal output and playground text
 * are subscribed by the views that show them, only while they are open.
 */
export function startRunFeed(): void {
  if (started) return
  started = true
  subscribe((event, payload) => {
    if (event === 'run.status') {
      const { summary } = payload as EventPayloadOf<'run.status'>
      runStatusPushed(summary)
      historyRunStatusPushed(summary)
    } else if (event === 'run.event') {
      const { runId, event: runEvent } = payload as EventPayloadOf<'run.event'>
      runEventPushed(runId, runEvent)
    }
  })
  onEventsReconnected(() => {
    void currentRunResynced()
    if (runHistoryActions().loaded) void loadHistory()
  })
  void restoreLiveRun()
}

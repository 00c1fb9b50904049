import type { EventName, EventPayloadOf } from '../../shared/contract'

export type EventListener = <E extends EventName>(name: E, payload: EventPayloadOf<E>) => void

/**
 * Where core services publish what the renderer should see live (run metrics, terminal
 * output). Hosts subscribe once and forward to their windows or sockets.
 */
export class EventHub {
  private readonly listeners = new Set<EventListener>()

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  publish<E extends EventName>(name: E, payload: EventPayloadOf<E>): void {
    for (const listener of this.listeners) {
      try {
        listener(name, payload)
      } catch {
        // one broken subscriber (a closed socket) must not stop the others
      }
    }
  }
}

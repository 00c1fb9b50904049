import type { ChannelName, ContractErrorPayload, Envelope, EventName, EventPayloadOf, RequestOf, ResponseOf } from '../../shared/contract'
import { desktopBridge } from './bridge'

/** A failed contract call, carrying the core's message and where the problem is. */
export class ContractCallError extends Error {
  readonly code: ContractErrorPayload['code']
  readonly details: string[]

  constructor(error: ContractErrorPayload) {
    super(error.message)
    this.name = 'ContractCallError'
    this.code = error.code
    this.details = error.details
  }
}

type EventListener = <E extends EventName>(event: E, payload: EventPayloadOf<E>) => void

async function invokeOverHttp(channel: string, payload: unknown): Promise<Envelope<unknown>> {
  const response = await fetch(`/api/${encodeURIComponent(channel)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(payload ?? {})
  })
  return (await response.json()) as Envelope<unknown>
}

/** Calls a contract channel through whichever host serves this page. */
export async function invoke<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const bridge = desktopBridge()
  const envelope = (bridge ? await bridge.invoke(channel, request) : await invokeOverHttp(channel, request)) as Envelope<ResponseOf<C>>
  if (!envelope.ok) throw new ContractCallError(envelope.error)
  return envelope.value
}

const listeners = new Set<EventListener>()
const reconnectListeners = new Set<() => void>()
let socket: WebSocket | null = null
let socketWasClosed = false
let bridgeUnsubscribe: (() => void) | null = null

function dispatch(event: string, payload: unknown): void {
  for (const listener of listeners) listener(event as EventName, payload as never)
}

function connectSocket(): void {
  const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  socket = new WebSocket(`${protocol}//${window.location.host}/events`)
  socket.onmessage = (message) => {
    const data = JSON.parse(String(message.data)) as { event: string; payload: unknown }
    dispatch(data.event, data.payload)
  }
  socket.onopen = () => {
    if (!socketWasClosed) return
    socketWasClosed = false
    for (const listener of reconnectListeners) listener()
  }
  socket.onclose = () => {
    socket = null
    socketWasClosed = true
    // The host restarted or the network blipped: reconnect while anyone is listening.
    if (listeners.size > 0) setTimeout(connectSocket, 1000)
  }
}

/** Subscribes to the core's event streams; returns the unsubscribe function. */
export function subscribe(listener: EventListener): () => void {
  listeners.add(listener)
  const bridge = desktopBridge()
  if (bridge && !bridgeUnsubscribe) bridgeUnsubscribe = bridge.subscribe(dispatch)
  if (!bridge && !socket) connectSocket()
  return () => {
    listeners.delete(listener)
  }
}

/**
 * Called when the event stream is back after a break (the browser host restarted, the network
 * blipped): events of the gap are lost, so views that show live data fetch what they missed.
 */
export function onEventsReconnected(listener: () => void): () => void {
  reconnectListeners.add(listener)
  return () => {
    reconnectListeners.delete(listener)
  }
}

export function hostKind(): 'electron' | 'browser' {
  return desktopBridge() ? 'electron' : 'browser'
}

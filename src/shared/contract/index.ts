import type { z } from 'zod'
import type { ChannelDefinition, EventStreamDefinition } from './define'
import { datasetsChannels, datasetsEventStreams } from './datasets'
import { hardwareChannels, hardwareEventStreams, modelsChannels, tokensChannels, verifyChannels, verifyEventStreams } from './estimate'
import { exportsChannels, exportsEventStreams } from './exports'
import { hostChannels } from './host'
import { modelTransferChannels, modelTransferEventStreams } from './model-transfer'
import { projectsChannels } from './projects'
import { runsChannels, runsEventStreams } from './runs'
import { runtimeChannels, runtimeEventStreams } from './runtime'
import { systemChannels } from './system'

export * from './confirmed-paths'
export * from './datasets'
export * from './define'
export * from './estimate'
export * from './exports'
export * from './host'
export * from './model-transfer'
export * from './projects'
export * from './risky-model-settings'
export * from './runs'
export * from './runtime'
export * from './system'
export * from './security'

/**
 * Every request/response channel of LocalTune, declared once. Hosts register exactly these; the
 * preload exposes exactly these; `ContractHandlers` makes a missing handler a type error.
 */
export const channels = {
  ...systemChannels,
  ...runtimeChannels,
  ...runsChannels,
  ...datasetsChannels,
  ...projectsChannels,
  ...hardwareChannels,
  ...modelsChannels,
  ...modelTransferChannels,
  ...tokensChannels,
  ...verifyChannels,
  ...exportsChannels,
  ...hostChannels
} satisfies Record<string, ChannelDefinition>

/** Every event stream the core pushes to the renderer. */
export const eventStreams = {
  ...runtimeEventStreams,
  ...runsEventStreams,
  ...datasetsEventStreams,
  ...hardwareEventStreams,
  ...verifyEventStreams,
  ...exportsEventStreams,
  ...modelTransferEventStreams
} satisfies Record<string, EventStreamDefinition>

export type Channels = typeof channels
export type ChannelName = keyof Channels
export type RequestOf<C extends ChannelName> = z.input<Channels[C]['request']>
export type ParsedRequestOf<C extends ChannelName> = z.output<Channels[C]['request']>
export type ResponseOf<C extends ChannelName> = z.output<Channels[C]['response']>

export type EventStreams = typeof eventStreams
export type EventName = keyof EventStreams
export type EventPayloadOf<E extends EventName> = z.output<EventStreams[E]['payload']>

export type ContractHandlers = {
  [C in ChannelName]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>>
}

export const channelNames = Object.keys(channels) as ChannelName[]
export const eventNames = Object.keys(eventStreams) as EventName[]

export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(channels, name)
}

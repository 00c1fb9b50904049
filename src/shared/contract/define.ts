import { z } from 'zod'

/**
 * A request/response channel: both sides are runtime schemas, so the host validates what the
 * renderer sends and the renderer gets types inferred from the same declaration.
 */
export interface ChannelDefinition<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  request: Req
  response: Res
  /** One line for logs and errors: what the channel does for the user. */
  summary: string
}

export function defineChannel<Req extends z.ZodType, Res extends z.ZodType>(definition: ChannelDefinition<Req, Res>): ChannelDefinition<Req, Res> {
  return definition
}

export interface EventStreamDefinition<Payload extends z.ZodType = z.ZodType> {
  payload: Payload
  summary: string
}

export function defineEventStream<Payload extends z.ZodType>(definition: EventStreamDefinition<Payload>): EventStreamDefinition<Payload> {
  return definition
}

/** What a failed call carries back to the renderer: a message a person can act on. */
export const contractErrorSchema = z.object({
  /** outside_user_folders: a path outside the user's folders came without the user's confirmation (details: "<field>: <path>"). */
  code: z.enum(['invalid_request', 'not_found', 'conflict', 'failed', 'unknown_channel', 'unauthorized', 'outside_user_folders']),
  message: z.string(),
  /** Where the problem is (file, row, column, field), when there is one. */
  details: z.array(z.string()).default([])
})
export type ContractErrorPayload = z.infer<typeof contractErrorSchema>

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ContractErrorPayload }

/** Formats zod issues as "field: problem" lines, naming the path a user or developer must fix. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(payload)'
    return `${where}: ${issue.message}`
  })
}

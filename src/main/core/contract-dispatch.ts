import { channels, describeIssues, isChannelName, type ContractHandlers, type Envelope } from '../../shared/contract'
import { UserFacingError } from './user-facing-error'

/**
 * The one path every host uses to answer a contract call: check the channel exists, validate
 * the payload against its schema, run the handler, and validate what it returns. Errors come
 * back as an envelope the renderer can show, never as a crash of the host.
 */
export async function dispatchContractCall(handlers: ContractHandlers, channel: unknown, payload: unknown): Promise<Envelope<unknown>> {
  if (!isChannelName(channel)) {
    return { ok: false, error: { code: 'unknown_channel', message: `Unknown channel "${String(channel)}".`, details: [] } }
  }
  const definition = channels[channel]
  const parsed = definition.request.safeParse(payload ?? {})
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'invalid_request', message: `The request to ${channel} does not match its schema.`, details: describeIssues(parsed.error) }
    }
  }
  try {
    const handler = handlers[channel] as (request: unknown) => Promise<unknown>
    const value = await handler(parsed.data)
    const checked = definition.response.safeParse(value)
    if (!checked.success) {
      return {
        ok: false,
        error: { code: 'failed', message: `LocalTune produced an invalid answer on ${channel} (a bug; please report it).`, details: describeIssues(checked.error) }
      }
    }
    return { ok: true, value: checked.data }
  } catch (error) {
    if (error instanceof UserFacingError) {
      return { ok: false, error: { code: error.code, message: error.message, details: error.details } }
    }
    const message = error instanceof Error ? error.message : String(error)
    return { ok: false, error: { code: 'failed', message: `${channel} failed: ${message}`, details: [] } }
  }
}

import type { IncomingMessage } from 'node:http'
import type { ContractErrorPayload } from '../../shared/contract'

/**
 * A request the host refuses, with the status and a message that says what to do. Everything a
 * client sends is checked by code that throws this; the one guard around each request, upgrade
 * and message turns it into an answer, so nothing a client sends can end the host (a crashed
 * host loses every live run back to its last checkpoint).
 */
export class RequestRejection extends Error {
  constructor(
    readonly status: number,
    readonly code: ContractErrorPayload['code'],
    message: string,
    /** Close the connection after answering: the rest of the request is not read. */
    readonly closeConnection = false
  ) {
    super(message)
    this.name = 'RequestRejection'
  }
}

/** At most `max` characters of something a client sent, for messages and logs. */
export function clip(value: string, max = 120): string {
  const printable = value.replace(/[\u0000-\u001f\u007f]/g, '?')
  return printable.length > max ? `${printable.slice(0, max)}…` : printable
}

/**
 * The request target as a URL. Only origin-form targets (`/path?query`) are served; `//[`,
 * `http://elsewhere/` and `*` are refused with 400 instead of being parsed as another host
 * (`//x` is what a URL parser reads as "host x", and LocalTune has no path that starts so).
 */
export function parseRequestTarget(raw: string | undefined): URL {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//')) throw new RequestRejection(400, 'invalid_request', `The request target "${clip(raw ?? '')}" is not a path on this host.`, true)
  try {
    // A fixed base with the target appended keeps "//x" a path instead of a scheme-relative URL.
    return new URL(`http://localtune.invalid${raw}`)
  } catch {
    throw new RequestRejection(400, 'invalid_request', `The request target "${clip(raw)}" is not a valid URL path.`, true)
  }
}

/** decodeURIComponent that answers 400 for a malformed %-escape instead of throwing URIError. */
export function decodePathPart(value: string, what: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    throw new RequestRejection(400, 'invalid_request', `The ${what} "${clip(value)}" has a malformed %-escape.`)
  }
}

/**
 * Reads a JSON object body of at most `maxBytes`. A declared length over the limit is refused
 * before reading; a streamed one as soon as it passes the limit. Either way the answer is 413
 * and the connection closes, so the client gets a reason instead of a reset.
 */
export function readJsonObjectBody(request: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const limit = `${Math.round(maxBytes / 1024 / 1024)} MiB`
  const declared = request.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(new RequestRejection(413, 'invalid_request', `The request body is ${declared} bytes; contract calls take at most ${limit}.`, true))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    request.on('data', (chunk: Buffer) => {
      if (over) return
      size += chunk.length
      if (size > maxBytes) {
        over = true
        chunks.length = 0
        reject(new RequestRejection(413, 'invalid_request', `The request body is over ${limit}; contract calls take at most ${limit}.`, true))
        return
      }
      chunks.push(chunk)
    })
    request.on('error', (error) => reject(new RequestRejection(400, 'invalid_request', `The request body could not be read: ${error.message}`, true)))
    request.on('end', () => {
      if (over) return
      const text = Buffer.concat(chunks).toString('utf8')
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        reject(new RequestRejection(400, 'invalid_request', text.trim() === '' ? 'The request body is empty: send {} for a call without arguments.' : 'The request body is not valid JSON.'))
        return
      }
      // `null`, arrays and bare values are not requests: `null` once read as "no arguments" and started a demo run.
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        reject(new RequestRejection(400, 'invalid_request', `The request body must be a JSON object (got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}); send {} for a call without arguments.`))
        return
      }
      resolve(parsed as Record<string, unknown>)
    })
  })
}

import crypto from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const tokenCookie = 'localtune_token'

export function newSessionToken(): string {
  return crypto.randomBytes(24).toString('base64url')
}

function readCookie(request: IncomingMessage, name: string): string | null {
  const header = request.headers.cookie
  if (!header) return null
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return decodeURIComponent(rest.join('='))
  }
  return null
}

function sameToken(given: string | null, expected: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}

/**
 * A request is allowed when it carries this start's token: in the URL (the printed link), in
 * the cookie the first page load sets, or as a bearer header (scripts). Anything else is 401.
 */
export function requestToken(request: IncomingMessage, url: URL): { ok: boolean; fromQuery: boolean; token: string | null } {
  const fromQuery = url.searchParams.get('token')
  if (fromQuery) return { ok: false, fromQuery: true, token: fromQuery }
  const bearer = request.headers.authorization?.match(/^Bearer (.+)$/)?.[1] ?? null
  return { ok: false, fromQuery: false, token: bearer ?? readCookie(request, tokenCookie) }
}

export function isAuthorized(request: IncomingMessage, url: URL, expected: string): { authorized: boolean; fromQuery: boolean } {
  const { token, fromQuery } = requestToken(request, url)
  return { authorized: sameToken(token, expected), fromQuery }
}

/**
 * Blocks DNS rebinding: a page on another site that resolves its name to 127.0.0.1 still sends
 * its own Host header, which is not ours.
 */
export function hostHeaderAllowed(request: IncomingMessage, allowedHosts: ReadonlySet<string>): boolean {
  const host = request.headers.host?.toLowerCase()
  return host !== undefined && allowedHosts.has(host)
}

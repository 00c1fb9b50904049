import crypto from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import net from 'node:net'
import os from 'node:os'

/**
 * Who may talk to the browser host, and from where.
 *
 * Browsers treat every port of 127.0.0.1 as one *site*: a page that any other local program
 * serves (a dev server, a notebook, a downloaded HTML file opened through one) can send requests
 * here that carry our cookie, because SameSite only looks at the site, not the port. So the token
 * alone does not prove that the request comes from our page. Every contract request and every
 * WebSocket upgrade must also come from our own origin (`Origin`, and `Sec-Fetch-Site` where the
 * browser sends it), contract calls must be `application/json` (which a foreign page cannot send
 * without a CORS preflight that we never grant), and the cookie is named after the port so two
 * LocalTune hosts on one machine do not overwrite each other's.
 */

export function newSessionToken(): string {
  return crypto.randomBytes(24).toString('base64url')
}

/** One cookie per port: cookies ignore ports, so a shared name would be overwritten by a second host. */
export function tokenCookieName(port: number): string {
  return `localtune_token_${port}`
}

/**
 * Every value of cookie `name`, in the order the browser sent them. There can be several: a page
 * on another port may add `localtune_token_N=junk; Path=/api` (it cannot overwrite our HttpOnly
 * cookie, but a longer path is sent first), so the token is looked for among all of them. A value
 * that is not valid %-encoding (`%zz`) is skipped: it must never throw.
 *
 * Hand-written on purpose: the npm `cookie` package (1.1) returns one value per name, the first,
 * so `localtune_token_N=%zz; localtune_token_N=<token>` would give the junk value and a page on
 * another port could sign the user out at will (hostile-input.test.ts sends exactly that).
 */
export function readCookies(header: string | undefined, name: string): string[] {
  if (!header) return []
  const values: string[] = []
  for (const part of header.split(';')) {
    const separator = part.indexOf('=')
    if (separator === -1 || part.slice(0, separator).trim() !== name) continue
    try {
      values.push(decodeURIComponent(part.slice(separator + 1).trim()))
    } catch {
      // Not %-encoding: not ours.
    }
  }
  return values
}

export function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (!given) return false
  const a = crypto.createHash('sha256').update(given).digest()
  const b = crypto.createHash('sha256').update(expected).digest()
  // Hashing first makes the comparison length-independent: timingSafeEqual needs equal lengths.
  return crypto.timingSafeEqual(a, b)
}

/** The session tokens a request offers: a bearer header (scripts) or this port's cookies (the page). */
export function presentedTokens(request: IncomingMessage, port: number): string[] {
  const bearer = request.headers.authorization?.match(/^Bearer (\S+)$/)?.[1]
  if (bearer !== undefined) return [bearer]
  // Bounded: a header can hold thousands of tiny cookies, each compared with a hash.
  return readCookies(request.headers.cookie, tokenCookieName(port)).slice(0, 16)
}

/**
 * One-time login codes for the printed link. The link ends up in the browser's history (and its
 * address bar suggestions), so it must not carry the session token itself: it carries a code
 * that works once, is traded for the HttpOnly cookie, and is worthless afterwards.
 */
export class LoginCodes {
  private readonly codes = new Map<string, number>()

  constructor(private readonly maxOutstanding = 8) {}

  issue(now = Date.now()): string {
    const code = crypto.randomBytes(24).toString('base64url')
    this.codes.set(code, now)
    // Bounded: each `localtune serve` prompt for a new link adds one; the oldest unused go first.
    while (this.codes.size > this.maxOutstanding) this.codes.delete(this.codes.keys().next().value as string)
    return code
  }

  /** True once per issued code. */
  redeem(code: string): boolean {
    for (const issued of this.codes.keys()) {
      if (sameSecret(code, issued)) {
        this.codes.delete(issued)
        return true
      }
    }
    return false
  }
}

const loopbackNames = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** "127.0.0.1:8080" → { name: "127.0.0.1", port: 8080 }; "[::1]:80" keeps the brackets; null when malformed. */
export function parseHostHeader(value: string | undefined): { name: string; port: number | null } | null {
  if (!value) return null
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(value.trim())
  if (!match) return null
  const port = match[2] === undefined ? null : Number(match[2])
  if (port !== null && port > 65535) return null
  return { name: match[1]!.toLowerCase(), port }
}

export interface HostPolicy {
  /** True when the host listens on a loopback address only. */
  loopbackOnly: boolean
  /** Extra names the machine is known by (non-loopback mode): its hostname. */
  machineNames?: readonly string[]
}

/**
 * Blocks DNS rebinding in every mode: a page on a foreign site whose name now resolves to us
 * still sends its own name as Host. Loopback names are accepted on any port (an SSH tunnel may
 * forward another local port); when the host listens on the network, IP literals and the
 * machine's own name are accepted too, never another name.
 */
export function hostHeaderAllowed(request: IncomingMessage, policy: HostPolicy): boolean {
  const host = parseHostHeader(request.headers.host)
  if (!host) return false
  if (loopbackNames.has(host.name)) return true
  if (policy.loopbackOnly) return false
  const bare = host.name.startsWith('[') ? host.name.slice(1, -1) : host.name
  if (net.isIP(bare) !== 0) return true
  const names = policy.machineNames ?? [os.hostname()]
  return names.some((name) => name.toLowerCase() === host.name || `${name.toLowerCase()}.local` === host.name)
}

/**
 * Whether a request that acts (a contract call, an upload, the event socket) comes from our own
 * page. Browsers always send `Origin` on POSTs and WebSocket handshakes, and modern ones send
 * `Sec-Fetch-Site`; a script with the bearer token sends neither, and is let through to the
 * token check. `Sec-Fetch-Site: same-site` is exactly the other-port case and is refused.
 */
export function sameOriginRequest(request: IncomingMessage): { ok: true } | { ok: false; reason: string } {
  const fetchSite = request.headers['sec-fetch-site']
  if (fetchSite !== undefined && fetchSite !== 'same-origin') {
    return { ok: false, reason: `Sec-Fetch-Site is "${fetchSite}": only LocalTune's own page may call it.` }
  }
  const origin = request.headers.origin
  if (origin === undefined) return { ok: true }
  let expected: string
  try {
    expected = new URL(`http://${request.headers.host ?? ''}`).origin
  } catch {
    return { ok: false, reason: 'The Host header is not a host name.' }
  }
  if (origin.toLowerCase() !== expected.toLowerCase()) {
    return { ok: false, reason: `Origin ${origin.slice(0, 200)} is not LocalTune's page (${expected}).` }
  }
  return { ok: true }
}

/** `application/json`, with or without parameters such as `; charset=utf-8`. */
export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && value.split(';')[0]!.trim().toLowerCase() === 'application/json'
}

import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex, Readable } from 'node:stream'
import { pipeline } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { pageWithStyleNonce, rendererContentSecurityPolicy, type ContractErrorPayload } from '../../shared/contract'
import type { Core } from '../core/create-core'
import { dispatchContractCall } from '../core/contract-dispatch'
import { checkUploadFits, defaultMaxUploadBytes, saveUpload as saveUploadToHome } from '../core/datasets/upload'
import { hostHeaderAllowed, isJsonContentType, LoginCodes, newSessionToken, presentedTokens, sameOriginRequest, sameSecret, tokenCookieName, type HostPolicy } from './auth'
import { clip, decodePathPart, parseRequestTarget, readJsonObjectBody, RequestRejection } from './request-guard'
import { resolveStaticFile } from './static-files'

export interface BrowserHostOptions {
  core: Core
  rendererDir: string
  /** 127.0.0.1 unless the user asked for another address with --host. */
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** The session token (bearer for scripts, cookie for the page); random per start by default. */
  token?: string
  /** Streams an upload into the home folder and returns where it landed; default: `<home>/uploads/`. */
  saveUpload?: (fileName: string, body: Readable) => Promise<{ path: string }>
  /** The largest upload accepted (default 1 GiB). */
  maxUploadBytes?: number
  /** Where failures of the host itself go (never a client's mistake); default console.warn. */
  warn?: (message: string) => void
}

export interface BrowserHost {
  /** The link to print: it carries a one-time login code, traded for the session cookie on first use. */
  url: string
  origin: string
  /** The session token, for scripts (`Authorization: Bearer …`) and tests. */
  token: string
  port: number
  /** A fresh one-time link, for a second browser or after the first link was used. */
  newLoginUrl(): string
  close(): Promise<void>
}

const maxJsonBody = 8 * 1024 * 1024
/** The event stream only sends; a client message is at most a ping's worth. */
const maxClientMessageBytes = 4 * 1024
/** A client that reads nothing while runs stream output is dropped before it fills the host's memory. */
const maxBufferedEventBytes = 32 * 1024 * 1024

const securityHeaders = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // The page itself (index.html) gets a policy with its own style nonce instead (sendAppPage).
  'Content-Security-Policy': rendererContentSecurityPolicy(),
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY'
}

function envelopeError(code: ContractErrorPayload['code'], message: string, details: string[] = []): string {
  return JSON.stringify({ ok: false, error: { code, message, details } })
}

function send(response: ServerResponse, status: number, body: string, options: { contentType?: string; close?: boolean; headers?: Record<string, string> } = {}): void {
  response.writeHead(status, {
    ...securityHeaders,
    'Content-Type': options.contentType ?? 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...(options.close ? { Connection: 'close' } : {}),
    ...options.headers
  })
  response.end(body)
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A page a person opening a link sees instead of raw JSON. */
function sendPage(response: ServerResponse, status: number, message: string): void {
  send(response, status, `<!doctype html><meta charset="utf-8"><title>LocalTune</title><p>${escapeHtml(message)}</p>\n`, { contentType: 'text/html; charset=utf-8' })
}

/**
 * index.html with a style nonce fresh for this response, in the page and in its CSP header
 * (security.ts): only <style> elements the app stamps with it apply, never a style injected as markup.
 */
async function sendAppPage(response: ServerResponse, file: string, contentType: string, head: boolean): Promise<void> {
  const page = pageWithStyleNonce(await fs.promises.readFile(file, 'utf8'), randomBytes(16).toString('base64'))
  response.writeHead(200, {
    ...securityHeaders,
    'Content-Security-Policy': page.contentSecurityPolicy,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(page.html)
  })
  response.end(head ? undefined : page.html)
}

/** Refuses an upgrade on the raw socket (no WebSocket exists yet) and closes it. */
function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return
  const reason = http.STATUS_CODES[status] ?? 'Refused'
  const body = `${message}\n`
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  setTimeout(() => socket.destroy(), 1000).unref()
}

const unauthorizedMessage = 'Open LocalTune with the link that `localtune serve` printed (it signs this browser in).'

/**
 * Serves the built renderer and the contract over HTTP (calls) and WebSocket (events) on one
 * port, behind a per-start token. This is how LocalTune runs on a headless GPU box and how the
 * e2e suite drives it.
 *
 * Hostile input never ends the host: each request, upgrade and WebSocket message runs inside a
 * guard that answers (400 for what a client got wrong, 500 for our own failure) and keeps serving.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { core } = options
  const bindHost = options.host ?? '127.0.0.1'
  const token = options.token ?? newSessionToken()
  const warn = options.warn ?? ((message: string) => console.warn(message))
  const maxUploadBytes = options.maxUploadBytes ?? defaultMaxUploadBytes
  const saveUpload = options.saveUpload ?? (async (fileName: string, body: Readable) => ({ path: (await saveUploadToHome(core.home, fileName, body, { maxBytes: maxUploadBytes })).path }))
  const codes = new LoginCodes()
  const sockets = new Set<WebSocket>()
  const policy: HostPolicy = { loopbackOnly: bindHost === '127.0.0.1' || bindHost === 'localhost' || bindHost === '::1' }
  let port = 0

  const authorized = (request: IncomingMessage): boolean => presentedTokens(request, port).some((given) => sameSecret(given, token))

  /** The checks every request and upgrade passes first: a path, our Host, and for acting ones our own page. */
  const admit = (request: IncomingMessage, acting: boolean): URL => {
    const target = parseRequestTarget(request.url)
    if (!hostHeaderAllowed(request, policy)) {
      throw new RequestRejection(403, 'unauthorized', `The Host header "${clip(request.headers.host ?? '')}" is not this LocalTune (a guard against DNS rebinding). Open the link \`localtune serve\` printed.`)
    }
    if (acting) {
      const origin = sameOriginRequest(request)
      if (!origin.ok) throw new RequestRejection(403, 'unauthorized', `Refused a request from another page: ${origin.reason}`)
    }
    return target
  }

  const signIn = (request: IncomingMessage, response: ServerResponse, target: URL): void => {
    const code = target.searchParams.get('token') ?? ''
    target.searchParams.delete('token')
    const location = target.pathname + target.search
    if (codes.redeem(code) || authorized(request)) {
      // The code is spent and leaves the address bar; what stays in history is worthless.
      response.writeHead(303, {
        ...securityHeaders,
        'Set-Cookie': `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: location.startsWith('//') ? '/' : location,
        'Content-Length': 0
      })
      response.end()
      return
    }
    sendPage(
      response,
      401,
      'This sign-in link was already used or is not from this start of LocalTune (each link works once, so one left in the browser history is worthless). ' +
        'Press Enter in the terminal where `localtune serve` runs for a new link, or open the newest link it printed.'
    )
  }

  const handleRequest = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? 'GET'
    const reading = method === 'GET' || method === 'HEAD'
    const target = admit(request, !reading)
    if (reading && target.searchParams.has('token')) return signIn(request, response, target)
    if (!authorized(request)) {
      if (reading) sendPage(response, 401, unauthorizedMessage)
      else send(response, 401, envelopeError('unauthorized', unauthorizedMessage))
      return
    }
    if (method === 'POST' && target.pathname.startsWith('/api/')) {
      // A foreign page can only send text/plain or form bodies without a CORS preflight, and we
      // never answer preflights: requiring JSON keeps cross-site "simple requests" out.
      if (!isJsonContentType(request.headers['content-type'])) {
        throw new RequestRejection(415, 'invalid_request', 'Contract calls must be sent with Content-Type: application/json.')
      }
      const channel = decodePathPart(target.pathname.slice('/api/'.length), 'channel name')
      const payload = await readJsonObjectBody(request, maxJsonBody)
      const envelope = await dispatchContractCall(core.handlers, channel, payload)
      const status = envelope.ok ? 200 : envelope.error.code === 'unknown_channel' ? 404 : envelope.error.code === 'invalid_request' ? 400 : 200
      send(response, status, JSON.stringify(envelope))
      return
    }
    if (method === 'POST' && target.pathname === '/upload') {
      const fileName = target.searchParams.get('name')
      if (!fileName) throw new RequestRejection(400, 'invalid_request', 'An upload needs ?name=<file name>.', true)
      const declared = request.headers['content-length']
      const sizeBytes = declared === undefined ? NaN : Number(declared)
      if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
        throw new RequestRejection(411, 'invalid_request', 'An upload needs a Content-Length header (the size is checked against the limit and the free space first).', true)
      }
      const fit = checkUploadFits(core.home, sizeBytes, { maxBytes: maxUploadBytes })
      if (!fit.ok) throw new RequestRejection(fit.reason === 'too-large' ? 413 : 507, 'invalid_request', `${clip(fileName)}: ${fit.message}`, true)
      const saved = await saveUpload(fileName, request)
      send(response, 200, JSON.stringify({ ok: true, value: saved }))
      return
    }
    if (reading) {
      const resolved = resolveStaticFile(options.rendererDir, target.pathname)
      if (!resolved) {
        send(response, 404, 'Not found', { contentType: 'text/plain; charset=utf-8' })
        return
      }
      if (resolved.file.endsWith('.html')) return sendAppPage(response, resolved.file, resolved.contentType, method === 'HEAD')
      const stream = fs.createReadStream(resolved.file)
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => {
          response.writeHead(200, {
            ...securityHeaders,
            'Content-Type': resolved.contentType,
            'Cache-Control': 'max-age=3600'
          })
          if (method === 'HEAD') {
            stream.destroy()
            response.end()
            resolve()
            return
          }
          // pipeline ends both on error (a file removed mid-read, a client gone), never leaving an unhandled 'error'.
          pipeline(stream, response, () => resolve())
        })
        stream.once('error', (error) => reject(error))
      })
      return
    }
    throw new RequestRejection(405, 'invalid_request', `${clip(method)} is not supported here.`)
  }

  const server = http.createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      try {
        if (response.headersSent || response.destroyed) {
          response.destroy()
          return
        }
        if (error instanceof RequestRejection) {
          send(response, error.status, envelopeError(error.code, error.message), { close: error.closeConnection })
          return
        }
        const message = error instanceof Error ? error.message : String(error)
        warn(`Browser host: ${clip(request.method ?? '', 10)} ${clip(request.url ?? '')} failed: ${message}`)
        send(response, 500, envelopeError('failed', `LocalTune's browser host failed on this request: ${message}`), { close: true })
      } catch {
        response.destroy()
      }
    })
  })
  // Node answers a malformed request line or header with 400 by default; say so explicitly and
  // never let a socket error escape.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || socket.destroyed) return socket.destroy()
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxClientMessageBytes })
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    try {
      const target = admit(request, true)
      if (target.pathname !== '/events') return refuseUpgrade(socket, 404, 'The only WebSocket here is /events.')
      if (!authorized(request)) return refuseUpgrade(socket, 401, unauthorizedMessage)
      wss.handleUpgrade(request, socket, head, (ws) => {
        sockets.add(ws)
        ws.on('close', () => sockets.delete(ws))
        ws.on('error', () => {
          sockets.delete(ws)
          ws.terminate()
        })
        // The stream goes one way; a client that talks is confused or hostile. Either way: close.
        ws.on('message', () => ws.close(1008, 'This event stream only sends.'))
      })
    } catch (error) {
      if (error instanceof RequestRejection) refuseUpgrade(socket, error.status, error.message)
      else {
        warn(`Browser host: a WebSocket upgrade failed: ${error instanceof Error ? error.message : String(error)}`)
        refuseUpgrade(socket, 500, 'The event stream could not be opened.')
      }
    }
  })

  const unsubscribe = core.events.subscribe((name, payload) => {
    const message = JSON.stringify({ event: name, payload })
    for (const ws of sockets) {
      if (ws.readyState !== ws.OPEN) continue
      if (ws.bufferedAmount > maxBufferedEventBytes) {
        // It reconnects and fetches what it missed (the renderer does so on every reconnect).
        ws.terminate()
        continue
      }
      ws.send(message)
    }
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, bindHost, () => resolve())
  })
  port = (server.address() as AddressInfo).port
  const shownHost = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost.includes(':') ? `[${bindHost}]` : bindHost
  const origin = `http://${shownHost}:${port}`
  const newLoginUrl = () => `${origin}/?token=${codes.issue()}`
  return {
    url: newLoginUrl(),
    origin,
    token,
    port,
    newLoginUrl,
    close: async () => {
      unsubscribe()
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

import fs from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { rendererContentSecurityPolicy } from '../../shared/contract'
import type { Core } from '../core/create-core'
import { dispatchContractCall } from '../core/contract-dispatch'
import { hostHeaderAllowed, isAuthorized, newSessionToken, tokenCookie } from './auth'
import { resolveStaticFile } from './static-files'

export interface BrowserHostOptions {
  core: Core
  rendererDir: string
  /** 127.0.0.1 unless the user asked for another address with --host. */
  host?: string
  /** 0 picks a free port. */
  port?: number
  token?: string
  /** Streams an upload into the home folder and returns where it landed. */
  saveUpload?: (fileName: string, body: Readable) => Promise<{ path: string }>
}

export interface BrowserHost {
  url: string
  origin: string
  token: string
  port: number
  close(): Promise<void>
}

const maxJsonBody = 8 * 1024 * 1024

function send(response: ServerResponse, status: number, body: string, contentType = 'application/json; charset=utf-8'): void {
  response.writeHead(status, {
    'Content-Type': contentType,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': rendererContentSecurityPolicy
  })
  response.end(body)
}

function readJsonBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxJsonBody) {
        reject(new Error(`The request body is over ${maxJsonBody / 1024 / 1024} MiB.`))
        request.destroy()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      if (!text) return resolve({})
      try {
        resolve(JSON.parse(text))
      } catch {
        reject(new Error('The request body is not valid JSON.'))
      }
    })
    request.on('error', reject)
  })
}

/**
 * Serves the built renderer and the contract over HTTP (calls) and WebSocket (events) on one
 * port, behind a per-start token. This is how LocalTune runs on a headless GPU box and how the
 * e2e suite drives it.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { core } = options
  const bindHost = options.host ?? '127.0.0.1'
  const token = options.token ?? newSessionToken()
  const sockets = new Set<WebSocket>()
  let allowedHosts = new Set<string>()
  const loopbackOnly = bindHost === '127.0.0.1' || bindHost === 'localhost' || bindHost === '::1'

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (loopbackOnly && !hostHeaderAllowed(request, allowedHosts)) {
      send(response, 403, JSON.stringify({ ok: false, error: { code: 'unauthorized', message: 'Unexpected Host header.', details: [] } }))
      return
    }
    const auth = isAuthorized(request, url, token)
    if (!auth.authorized) {
      send(
        response,
        401,
        JSON.stringify({ ok: false, error: { code: 'unauthorized', message: 'Open LocalTune with the link that `localtune serve` printed (it carries the access token).', details: [] } })
      )
      return
    }
    if (auth.fromQuery) {
      // Trade the URL token for a cookie and drop it from the address bar and history.
      url.searchParams.delete('token')
      response.writeHead(303, {
        'Set-Cookie': `${tokenCookie}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname + (url.search || ''),
        'Cache-Control': 'no-store'
      })
      response.end()
      return
    }
    try {
      if (url.pathname.startsWith('/api/') && request.method === 'POST') {
        const channel = decodeURIComponent(url.pathname.slice('/api/'.length))
        let payload: unknown
        try {
          payload = await readJsonBody(request)
        } catch (error) {
          send(response, 400, JSON.stringify({ ok: false, error: { code: 'invalid_request', message: (error as Error).message, details: [] } }))
          return
        }
        const envelope = await dispatchContractCall(core.handlers, channel, payload)
        const status = envelope.ok ? 200 : envelope.error.code === 'unknown_channel' ? 404 : envelope.error.code === 'invalid_request' ? 400 : 200
        send(response, status, JSON.stringify(envelope))
        return
      }
      if (url.pathname === '/upload' && request.method === 'POST') {
        const fileName = url.searchParams.get('name')
        if (!options.saveUpload || !fileName) {
          send(response, 400, JSON.stringify({ ok: false, error: { code: 'invalid_request', message: 'An upload needs ?name=<file name>.', details: [] } }))
          return
        }
        const saved = await options.saveUpload(fileName, request)
        send(response, 200, JSON.stringify({ ok: true, value: saved }))
        return
      }
      if (request.method === 'GET' || request.method === 'HEAD') {
        const resolved = resolveStaticFile(options.rendererDir, url.pathname)
        if (!resolved) {
          send(response, 404, 'Not found', 'text/plain; charset=utf-8')
          return
        }
        response.writeHead(200, {
          'Content-Type': resolved.contentType,
          'Cache-Control': resolved.file.endsWith('.html') ? 'no-store' : 'max-age=3600',
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
          'Content-Security-Policy': rendererContentSecurityPolicy
        })
        if (request.method === 'HEAD') response.end()
        else fs.createReadStream(resolved.file).pipe(response)
        return
      }
      send(response, 405, JSON.stringify({ ok: false, error: { code: 'invalid_request', message: `${request.method} is not supported here.`, details: [] } }))
    } catch (error) {
      send(response, 500, JSON.stringify({ ok: false, error: { code: 'failed', message: (error as Error).message, details: [] } }))
    }
  })

  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const allowed = (!loopbackOnly || hostHeaderAllowed(request, allowedHosts)) && isAuthorized(request, url, token).authorized
    if (url.pathname !== '/events' || !allowed) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
      ws.on('error', () => sockets.delete(ws))
    })
  })

  const unsubscribe = core.events.subscribe((name, payload) => {
    const message = JSON.stringify({ event: name, payload })
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(message)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, bindHost, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
  const shownHost = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost.includes(':') ? `[${bindHost}]` : bindHost
  const origin = `http://${shownHost}:${port}`
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    close: async () => {
      unsubscribe()
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

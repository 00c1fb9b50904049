import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { hostHeaderAllowed, LoginCodes, parseHostHeader, readCookies, sameOriginRequest } from '../../../src/main/browser-host/auth'
import { hostAnswers, startTestHost, type TestHost } from './test-host'

/** A request with exactly these headers (fetch would add or refuse some of them). */
function request(port: number, options: { method?: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

function upgrade(port: number, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/events`, { headers })
    ws.on('open', () => {
      ws.close()
      resolve('open')
    })
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('error', () => resolve(0))
  })
}

describe('cross-site requests to the browser host', () => {
  let t: TestHost

  afterEach(async () => {
    await t.stop()
  })

  it('refuses a contract call that carries the cookie but comes from a page on another port', async () => {
    t = await startTestHost()
    const { port, token } = t.host
    const cookie = `localtune_token_${port}=${token}`
    const base = { Host: `127.0.0.1:${port}`, Cookie: cookie, 'Content-Type': 'application/json' }
    // What Chromium sends for fetch() from http://127.0.0.1:5173 to us: same site, other origin.
    const fromOtherPort = await request(port, { path: '/api/runs.start-demo', headers: { ...base, Origin: 'http://127.0.0.1:5173', 'Sec-Fetch-Site': 'same-site' }, body: '{}' })
    expect(fromOtherPort.status).toBe(403)
    expect(fromOtherPort.body).toContain('another page')
    // Origin alone (browsers without Sec-Fetch-*) and Sec-Fetch-Site alone are each enough to refuse.
    expect((await request(port, { path: '/api/runs.start-demo', headers: { ...base, Origin: 'http://127.0.0.1:5173' }, body: '{}' })).status).toBe(403)
    expect((await request(port, { path: '/api/runs.start-demo', headers: { ...base, 'Sec-Fetch-Site': 'cross-site' }, body: '{}' })).status).toBe(403)
    expect((await request(port, { path: '/api/runs.start-demo', headers: { ...base, Origin: 'null' }, body: '{}' })).status).toBe(403)
    expect((await request(port, { path: '/upload?name=x.csv', headers: { ...base, Origin: 'http://localhost:3000', 'Content-Length': '3' }, body: 'a\n\n' })).status).toBe(403)
    expect(t.core.runs.listRuns()).toEqual([])
  })

  it('refuses a contract call that is not application/json (a form or text/plain post needs no preflight)', async () => {
    t = await startTestHost()
    const { port, token } = t.host
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await request(port, { path: '/api/runs.start-demo', headers: { Host: `127.0.0.1:${port}`, Cookie: `localtune_token_${port}=${token}`, 'Content-Type': type }, body: '{}' })
      expect(response.status, type).toBe(415)
    }
    expect(t.core.runs.listRuns()).toEqual([])
  })

  it('accepts the same call from its own page', async () => {
    t = await startTestHost()
    const { port, token } = t.host
    const response = await request(port, {
      path: '/api/runs.list',
      headers: { Host: `127.0.0.1:${port}`, Cookie: `localtune_token_${port}=${token}`, 'Content-Type': 'application/json; charset=utf-8', Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin' },
      body: '{}'
    })
    expect(response.status).toBe(200)
  })

  it('does not open the event stream for a page on another port, even with the cookie', async () => {
    t = await startTestHost()
    const { port, token } = t.host
    const cookie = `localtune_token_${port}=${token}`
    expect(await upgrade(port, { Cookie: cookie, Origin: 'http://127.0.0.1:5173' })).toBe(403)
    expect(await upgrade(port, { Cookie: cookie, Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-site' })).toBe(403)
    expect(await upgrade(port, { Cookie: cookie, Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin' })).toBe('open')
  })

  it('names the cookie after the port, so two hosts on one machine keep their own', async () => {
    t = await startTestHost()
    const first = await fetch(t.host.url, { redirect: 'manual' })
    expect(first.headers.get('set-cookie')).toMatch(new RegExp(`^localtune_token_${t.host.port}=[\\w-]+; HttpOnly; SameSite=Strict; Path=/$`))
  })

  it('signs in once per link: the code in the URL is spent, so the link left in history is worthless', async () => {
    t = await startTestHost()
    const link = new URL(t.host.url)
    const code = link.searchParams.get('token')
    expect(code).not.toBe(t.host.token)
    const first = await fetch(link, { redirect: 'manual' })
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe('/')
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!
    expect(cookie.endsWith(`=${t.host.token}`)).toBe(true)
    const again = await fetch(link, { redirect: 'manual' })
    expect(again.status).toBe(401)
    expect(await again.text()).toContain('already used')
    // The browser that signed in may open the old link again: it already has the cookie.
    expect((await fetch(link, { redirect: 'manual', headers: { Cookie: cookie } })).status).toBe(303)
    // A fresh link works once more (for a second browser).
    expect((await fetch(t.host.newLoginUrl(), { redirect: 'manual' })).status).toBe(303)
    // The session token itself is not accepted in the URL: it would end up in history.
    expect((await fetch(`${t.host.origin}/?token=${t.host.token}`, { redirect: 'manual' })).status).toBe(401)
  })

  it('never redirects a sign-in to another host', async () => {
    t = await startTestHost()
    const link = new URL(t.host.url)
    const response = await request(t.host.port, { method: 'GET', path: `/%2F%2Fevil.example/?token=${link.searchParams.get('token')}`, headers: { Host: `127.0.0.1:${t.host.port}` } })
    expect(response.status).toBe(303)
    expect(response.headers.location?.startsWith('//')).toBe(false)
  })

  it('keeps the Host check when it listens beyond loopback', async () => {
    // 127.0.0.2 is a loopback address the host does not treat as loopback-only, like --host 0.0.0.0.
    t = await startTestHost({ host: '127.0.0.2' })
    const { port, token } = t.host
    const ask = (host: string) => new Promise<number>((resolve) => {
      const req = http.request({ host: '127.0.0.2', port, path: '/', headers: { Host: host, Authorization: `Bearer ${token}` } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', () => resolve(0))
      req.end()
    })
    expect(await ask(`evil.example:${port}`)).toBe(403)
    expect(await ask(`127.0.0.2:${port}`)).toBe(200)
    expect(await ask(`192.168.1.20:${port}`)).toBe(200)
    expect(await ask(`localhost:${port}`)).toBe(200)
  })

  it('stays up and correct after each refusal', async () => {
    t = await startTestHost()
    await request(t.host.port, { path: '/api/runs.list', headers: { Host: `127.0.0.1:${t.host.port}`, Origin: 'http://127.0.0.1:1', 'Content-Type': 'application/json' }, body: '{}' })
    expect(await hostAnswers(t.host)).toBe(true)
  })
})

describe('the browser host checks, one by one', () => {
  const message = (headers: Record<string, string>) => ({ headers }) as unknown as http.IncomingMessage

  it('reads every value of a cookie and skips the malformed ones', () => {
    expect(readCookies('a=1; localtune_token_9=%zz; localtune_token_9=ok%20x', 'localtune_token_9')).toEqual(['ok x'])
    expect(readCookies(undefined, 'x')).toEqual([])
    expect(readCookies('novalue; =; x', 'x')).toEqual([])
  })

  it('parses Host headers strictly', () => {
    expect(parseHostHeader('127.0.0.1:8080')).toEqual({ name: '127.0.0.1', port: 8080 })
    expect(parseHostHeader('[::1]:80')).toEqual({ name: '[::1]', port: 80 })
    expect(parseHostHeader('LocalHost')).toEqual({ name: 'localhost', port: null })
    for (const bad of ['', 'a b', 'x:99999', 'user@host:1', '[zz]:1', 'host:1:2']) expect(parseHostHeader(bad), bad).toBeNull()
  })

  it('allows loopback names on any port, and IPs or the machine name only beyond loopback', () => {
    const loopback = { loopbackOnly: true, machineNames: ['gpu-box'] }
    const network = { loopbackOnly: false, machineNames: ['gpu-box'] }
    expect(hostHeaderAllowed(message({ host: 'localhost:9000' }), loopback)).toBe(true)
    expect(hostHeaderAllowed(message({ host: '10.0.0.5:9000' }), loopback)).toBe(false)
    expect(hostHeaderAllowed(message({ host: '10.0.0.5:9000' }), network)).toBe(true)
    expect(hostHeaderAllowed(message({ host: 'gpu-box.local:9000' }), network)).toBe(true)
    expect(hostHeaderAllowed(message({ host: 'rebind.evil.example:9000' }), network)).toBe(false)
    expect(hostHeaderAllowed(message({}), network)).toBe(false)
  })

  it('compares Origin with the Host the request came to, default ports included', () => {
    expect(sameOriginRequest(message({ host: 'localhost:80', origin: 'http://localhost' })).ok).toBe(true)
    expect(sameOriginRequest(message({ host: 'localhost:8080', origin: 'http://localhost:8081' })).ok).toBe(false)
    expect(sameOriginRequest(message({ host: 'localhost:8080', origin: 'https://localhost:8080' })).ok).toBe(false)
    expect(sameOriginRequest(message({ host: 'localhost:8080' })).ok).toBe(true)
    expect(sameOriginRequest(message({ host: 'localhost:8080', 'sec-fetch-site': 'none' })).ok).toBe(false)
  })

  it('spends each login code once and keeps only the newest few', () => {
    const codes = new LoginCodes(2)
    const a = codes.issue()
    const b = codes.issue()
    const c = codes.issue()
    expect(codes.redeem(a)).toBe(false)
    expect(codes.redeem(b)).toBe(true)
    expect(codes.redeem(b)).toBe(false)
    expect(codes.redeem(c)).toBe(true)
    expect(codes.redeem('')).toBe(false)
  })
})

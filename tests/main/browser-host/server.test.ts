import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startBrowserHost, type BrowserHost } from '../../../src/main/browser-host/server'
import { createCore, type Core } from '../../../src/main/core/create-core'
import { styleNoncePlaceholder } from '../../../src/shared/contract'
import { makeTempHome } from '../../helpers/temp-home'

describe('browser host', () => {
  let core: Core
  let host: BrowserHost
  let cleanup: () => void

  beforeEach(async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const rendererDir = path.join(temp.home, 'renderer')
    fs.mkdirSync(rendererDir)
    fs.writeFileSync(path.join(rendererDir, 'index.html'), `<!doctype html><head>${styleNoncePlaceholder}<title>LocalTune</title></head>`)
    fs.mkdirSync(path.join(rendererDir, 'assets'))
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'export {}')
    core = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home, PATH: '' } })
    host = await startBrowserHost({ core, rendererDir })
  })

  afterEach(async () => {
    await host.close()
    core.close()
    cleanup()
  })

  it('binds loopback on a free port and prints a URL with the token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)
    expect(host.port).toBeGreaterThan(0)
  })

  it('answers 401 without the token, for pages and for the API', async () => {
    expect((await fetch(`${host.origin}/`)).status).toBe(401)
    expect((await fetch(`${host.origin}/api/system.doctor`, { method: 'POST', body: '{}' })).status).toBe(401)
    expect((await fetch(`${host.origin}/api/system.doctor`, { method: 'POST', body: '{}', headers: { Authorization: 'Bearer wrong' } })).status).toBe(401)
  })

  it('trades the URL token for a cookie that then opens the page', async () => {
    const first = await fetch(host.url, { redirect: 'manual' })
    expect(first.status).toBe(303)
    const cookie = first.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const page = await fetch(`${host.origin}/`, { headers: { Cookie: cookie.split(';')[0]! } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('LocalTune')
  })

  it('serves the page with a style nonce fresh for each load, the same in its CSP header and in the page', async () => {
    const headers = { Authorization: `Bearer ${host.token}` }
    const loads = await Promise.all(['/', '/', '/train'].map((pathname) => fetch(`${host.origin}${pathname}`, { headers })))
    const nonces = await Promise.all(
      loads.map(async (load) => {
        expect(load.status).toBe(200)
        const policy = load.headers.get('content-security-policy') ?? ''
        expect(policy).not.toContain('unsafe-inline')
        const inHeader = /style-src 'self' 'nonce-([^']+)'/.exec(policy)?.[1]
        const inPage = /<meta property="csp-nonce" nonce="([^"]+)" \/>/.exec(await load.text())?.[1]
        expect(inHeader).toMatch(/^[A-Za-z0-9+/]{22}==$/)
        expect(inPage).toBe(inHeader)
        expect(load.headers.get('cache-control')).toBe('no-store')
        return inHeader
      })
    )
    expect(new Set(nonces).size).toBe(3)
    const head = await fetch(`${host.origin}/`, { method: 'HEAD', headers })
    expect(head.headers.get('content-security-policy')).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/]{22}=='/)
    expect(head.headers.get('content-security-policy')).not.toContain(nonces[0])
    // Everything else gets the policy without a nonce: no inline style at all.
    const script = await fetch(`${host.origin}/assets/app.js`, { headers })
    expect(script.status).toBe(200)
    expect(script.headers.get('content-security-policy')).toContain("style-src 'self';")
  })

  it('rejects a payload that breaks the schema with a clear error', async () => {
    const response = await fetch(`${host.origin}/api/system.doctor`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh: 'please' })
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { ok: boolean; error: { message: string; details: string[] } }
    expect(body.ok).toBe(false)
    expect(body.error.details.join(' ')).toContain('refresh')
  })

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: host.port, path: '/', headers: { Host: 'evil.example:80', Authorization: `Bearer ${host.token}` } }, (res) => resolve(res.statusCode ?? 0))
      req.end()
    })
    expect(status).toBe(403)
  })

  it('does not open the event socket without the token', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/events`)
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'))
      ws.on('error', () => resolve('refused'))
      ws.on('unexpected-response', () => resolve('refused'))
    })
    expect(outcome).toBe('refused')
  })

  it('never serves files outside the renderer folder', async () => {
    const response = await fetch(`${host.origin}/..%2f..%2flocaltune.db`, { headers: { Authorization: `Bearer ${host.token}` } })
    expect(response.status).toBe(404)
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startBrowserHost, type BrowserHost } from '../../../src/main/browser-host/server'
import { createCore, type Core } from '../../../src/main/core/create-core'
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
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>LocalTune</title>')
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

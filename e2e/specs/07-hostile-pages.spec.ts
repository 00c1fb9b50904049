import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from '@playwright/test'
import { expect, test } from '../fixtures/app'

// Browsers treat every port of 127.0.0.1 as one site: a page that any other local program serves
// gets the user's LocalTune cookie on its requests, and can set cookies LocalTune then receives.
// These tests open such a page in the same browser as a signed-in LocalTune and let it try.

/** A page on another loopback port: what a dev server, a notebook or a local tool might serve. */
async function startOtherLocalSite(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    response.end('<!doctype html><title>Some other local site</title><p>nothing to see</p>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** A contract call from LocalTune's own page: how the test checks what the host now holds. */
async function call<T>(page: Page, channel: string, request: object = {}): Promise<T> {
  return page.evaluate(
    async ({ channel, request }) => {
      const response = await fetch(`/api/${channel}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'same-origin', body: JSON.stringify(request) })
      const envelope = (await response.json()) as { ok: boolean; value: unknown; error?: { message: string } }
      if (!envelope.ok) throw new Error(envelope.error?.message ?? `HTTP ${response.status}`)
      return envelope.value
    },
    { channel, request }
  ) as Promise<T>
}

test.describe('pages on other loopback ports', () => {
  test.beforeEach(({ app }) => {
    test.skip(app.host !== 'browser', 'the Electron window has no HTTP surface')
  })

  test('cannot start a run or read the event stream with the user’s cookie', async ({ app }) => {
    const localtune = new URL(app.page.url()).origin
    const other = await startOtherLocalSite()
    const page = await app.page.context().newPage()
    try {
      const runsBefore = (await call<{ runs: unknown[] }>(app.page, 'runs.list')).runs.length
      await page.goto(other.origin)
      const attempt = await page.evaluate(async (target) => {
        const outcome: Record<string, string> = {}
        // A "simple" request needs no preflight: text/plain body, cookie included (same site).
        await fetch(`${target}/api/runs.start-demo`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"maxSteps":1}' })
          .then(() => (outcome.simple = 'sent'))
          .catch(() => (outcome.simple = 'refused'))
        // The same as JSON needs a CORS preflight, which LocalTune never grants.
        await fetch(`${target}/api/runs.list`, { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '{}' })
          .then(async (response) => (outcome.read = `read ${response.status}: ${(await response.text()).slice(0, 80)}`))
          .catch(() => (outcome.read = 'refused'))
        // A form post: no preflight either.
        const form = document.createElement('form')
        form.method = 'POST'
        form.action = `${target}/api/runs.start-demo`
        form.enctype = 'text/plain'
        form.target = 'sink'
        const sink = document.createElement('iframe')
        sink.name = 'sink'
        document.body.append(sink, form)
        form.submit()
        await new Promise((resolve) => setTimeout(resolve, 1000))
        // WebSockets have no CORS at all: only the host's Origin check stands between the page and the events.
        outcome.events = await new Promise<string>((resolve) => {
          const ws = new WebSocket(`${target.replace('http:', 'ws:')}/events`)
          ws.onopen = () => resolve('open')
          ws.onerror = () => resolve('refused')
          setTimeout(() => resolve('no answer'), 5000)
        })
        return outcome
      }, localtune)
      // Whatever was sent blind started nothing.
      expect((await call<{ runs: unknown[] }>(app.page, 'runs.list')).runs.length).toBe(runsBefore)
      expect(attempt.events).toBe('refused')
      expect(attempt.read).toBe('refused')
    } finally {
      await page.close()
      await other.close()
    }
  })

  test('cannot end the host with a malformed cookie or request target while a run trains', async ({ app }) => {
    const localtune = new URL(app.page.url())
    const other = await startOtherLocalSite()
    const page = await app.page.context().newPage()
    const run = await call<{ id: string }>(app.page, 'runs.start-demo', { maxSteps: 400 })
    try {
      await expect.poll(async () => (await call<{ status: string }>(app.page, 'runs.get', { runId: run.id })).status, { timeout: 60_000 }).toBe('running')
      await page.goto(other.origin)
      await page.evaluate(
        async ({ target, port }) => {
          // Cookies ignore ports: these reach LocalTune. (The HttpOnly cookie cannot be overwritten,
          // but a longer path adds a second value that is sent first.)
          document.cookie = 'localtune_token=%zz; path=/'
          document.cookie = `localtune_token_${port}=%zz; path=/api`
          document.cookie = `localtune_token_${port}=%E0%A4%A; path=/`
          const blind = { mode: 'no-cors', credentials: 'include' } as const
          await Promise.allSettled([
            fetch(`${target}/`, blind),
            fetch(`${target}/api/runs.list`, { ...blind, method: 'POST', body: '{}' }),
            fetch(`${target}//[`, blind),
            fetch(`${target}/%zz`, blind),
            fetch(`${target}/api/%zz`, { ...blind, method: 'POST', body: 'null' })
          ])
        },
        { target: localtune.origin, port: localtune.port }
      )
      // The same host, the same sign-in: the signed-in page still talks to it, and the run trains on.
      const before = (await call<{ lastStep: number | null }>(app.page, 'runs.get', { runId: run.id })).lastStep ?? 0
      await expect.poll(async () => (await call<{ lastStep: number | null }>(app.page, 'runs.get', { runId: run.id })).lastStep ?? 0, { timeout: 60_000 }).toBeGreaterThan(before)
      expect((await call<{ status: string }>(app.page, 'runs.get', { runId: run.id })).status).toBe('running')
      // A reload is served too: the junk cookies did not sign the page out.
      await app.page.reload()
      expect((await call<{ runs: unknown[] }>(app.page, 'runs.list')).runs.length).toBeGreaterThan(0)
    } finally {
      await call(app.page, 'runs.stop', { runId: run.id, force: true }).catch(() => {})
      await page.close()
      await other.close()
    }
  })
})

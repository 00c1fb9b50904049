import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { checkUploadFits } from '../../../src/main/core/datasets/upload'
import { hostAnswers, ownPageHeaders, rawExchange, seededRandom, startTestHost, statusOf, type TestHost } from './test-host'

// Anything thrown outside a handler ends the host, and with it every live run (back to its
// last checkpoint). These tests send what a hostile page or bad luck sends and then ask the
// host for an answer: it must still give one.
const escaped: unknown[] = []
const onEscape = (error: unknown) => escaped.push(error)

beforeAll(() => {
  process.on('unhandledRejection', onEscape)
  process.on('uncaughtException', onEscape)
})
afterAll(() => {
  process.off('unhandledRejection', onEscape)
  process.off('uncaughtException', onEscape)
})

describe('browser host under hostile input', () => {
  let t: TestHost

  beforeEach(async () => {
    escaped.length = 0
    t = await startTestHost()
  })

  afterEach(async () => {
    await t.stop()
    expect(escaped).toEqual([])
  })

  it('treats a malformed cookie as no cookie (401) and keeps serving', async () => {
    for (const cookie of ['localtune_token=%zz', `localtune_token_${t.host.port}=%zz`, `localtune_token_${t.host.port}=%E0%A4%A`, '=;;=%;']) {
      const response = await fetch(`${t.host.origin}/`, { headers: { Cookie: cookie } })
      expect(response.status).toBe(401)
    }
    expect(await hostAnswers(t.host)).toBe(true)
  })

  it('finds the real cookie next to a junk one that a page on another port added with a longer path', async () => {
    const response = await fetch(`${t.host.origin}/api/runs.list`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: `localtune_token_${t.host.port}=%zz; localtune_token_${t.host.port}=${t.host.token}` },
      body: '{}'
    })
    expect(response.status).toBe(200)
  })

  it('answers 400 to request targets that are not a path (GET //[) and keeps serving', async () => {
    for (const target of ['//[', '//[::1', 'http://[', '*', '//%zz/[']) {
      const answer = await rawExchange(t.host.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${t.host.port}\r\nCookie: localtune_token_${t.host.port}=${t.host.token}\r\n\r\n`)
      expect(statusOf(answer), `GET ${target}`).toBe(400)
    }
    expect(await hostAnswers(t.host)).toBe(true)
  })

  it('answers 400, not 500, to malformed %-escapes in the channel and the page path', async () => {
    const channel = await fetch(`${t.host.origin}/api/runs.list%zz`, { method: 'POST', headers: ownPageHeaders(t.host), body: '{}' })
    expect(channel.status).toBe(400)
    expect(((await channel.json()) as { error: { message: string } }).error.message).toContain('%-escape')
    const page = await fetch(`${t.host.origin}/assets/%E0%A4%A.js`, { headers: { Authorization: `Bearer ${t.host.token}` } })
    expect(page.status).toBe(400)
  })

  it('refuses a null, array or bare-value body instead of reading it as "no arguments" (a null body started a demo run)', async () => {
    for (const body of ['null', '[]', '7', '"x"', '']) {
      const response = await fetch(`${t.host.origin}/api/runs.start-demo`, { method: 'POST', headers: ownPageHeaders(t.host), body })
      expect(response.status, `body ${JSON.stringify(body)}`).toBe(400)
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/JSON object|empty/)
    }
    expect(t.core.runs.listRuns()).toEqual([])
  })

  it('answers 413 with a reason to a body over 8 MiB, declared or streamed, instead of resetting the connection', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 0x20)
    const declared = await fetch(`${t.host.origin}/api/runs.list`, { method: 'POST', headers: ownPageHeaders(t.host), body: big })
    expect(declared.status).toBe(413)
    expect(((await declared.json()) as { error: { message: string } }).error.message).toContain('8 MiB')
    // Chunked: no length up front, so the limit trips while reading.
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 9) controller.enqueue(new Uint8Array(1024 * 1024).fill(0x20))
        else controller.close()
      }
    })
    const streamed = await fetch(`${t.host.origin}/api/runs.list`, { method: 'POST', headers: ownPageHeaders(t.host), body, duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(413)
    expect(await hostAnswers(t.host)).toBe(true)
  })

  it('closes a WebSocket client that sends a large message (the stream only goes to the client)', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.host.port}/events`, { headers: { Authorization: `Bearer ${t.host.token}` } })
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    ws.on('error', () => {})
    ws.send(Buffer.alloc(100 * 1024 * 1024, 1))
    expect(await closed).toBe(1009)
    expect(await hostAnswers(t.host)).toBe(true)
  })

  it('survives a fuzz of random bytes at the HTTP port and random frames on open event sockets', async () => {
    const random = seededRandom(18)
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)))
    const prefixes = [
      '',
      'GET / HTTP/1.1\r\n',
      'POST /api/runs.list HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${t.host.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nAuthorization: Bearer ${t.host.token}\r\n\r\n`
    ]
    // Random pieces of HTTP: targets and cookies from an alphabet rich in what parsers trip on
    // (%, [, /, non-ASCII), around a well-formed request line, plus plain random bytes.
    const alphabet = ['%', '%z', '%E0', '[', ']', '/', '//', '?', '#', '=', ';', '..', 'a', '0', '\u00ff', ':', '@', 'token']
    const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')
    const exchanges: Array<Promise<string>> = []
    for (let i = 0; i < 160; i++) {
      let request: Buffer
      switch (i % 5) {
        case 0:
          request = bytes(1 + Math.floor(random() * 600))
          break
        case 1:
          request = Buffer.from(`GET /${pick(6)} HTTP/1.1\r\nHost: 127.0.0.1:${t.host.port}\r\nConnection: close\r\n\r\n`, 'latin1')
          break
        case 2:
          request = Buffer.from(`GET /${pick(3)} HTTP/1.1\r\nHost: 127.0.0.1:${t.host.port}\r\nCookie: localtune_token=${pick(4)}; localtune_token_${t.host.port}=${pick(4)}\r\nConnection: close\r\n\r\n`, 'latin1')
          break
        case 3:
          request = Buffer.concat([Buffer.from(`POST /api/${pick(3)} HTTP/1.1\r\nHost: 127.0.0.1:${t.host.port}\r\nAuthorization: Bearer ${t.host.token}\r\nContent-Type: application/json\r\nContent-Length: 40\r\nConnection: close\r\n\r\n`, 'latin1'), bytes(40)])
          break
        default:
          request = Buffer.concat([Buffer.from(prefixes[Math.floor(random() * prefixes.length)]!, 'latin1'), bytes(1 + Math.floor(random() * 300))])
      }
      exchanges.push(rawExchange(t.host.port, request, 400))
      // A few at a time: enough concurrency to interleave, bounded for a shared machine.
      if (exchanges.length % 16 === 0) await Promise.all(exchanges.splice(0))
    }
    await Promise.all(exchanges)

    // Frames a real client could send on an open socket: masked text, binary, bad opcodes, bad lengths.
    for (let i = 0; i < 20; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${t.host.port}/events`, { headers: { Authorization: `Bearer ${t.host.token}` } })
      ws.on('error', () => {})
      await new Promise((resolve) => {
        ws.once('open', resolve)
        ws.once('close', resolve)
      })
      const socket = (ws as unknown as { _socket?: import('node:net').Socket })._socket
      socket?.write(bytes(2 + Math.floor(random() * 64)))
      await new Promise((resolve) => setTimeout(resolve, 20))
      ws.terminate()
    }
    expect(await hostAnswers(t.host)).toBe(true)
    expect(t.warnings).toEqual([])
  })
})

describe('uploads through the browser host', () => {
  let t: TestHost

  afterEach(async () => {
    await t.stop()
  })

  it('refuses an upload over the limit with 413 before writing anything', async () => {
    t = await startTestHost({ maxUploadBytes: 1024 })
    const response = await fetch(`${t.host.origin}/upload?name=big.csv`, { method: 'POST', headers: { ...ownPageHeaders(t.host), 'Content-Type': 'text/csv' }, body: 'a,b\n'.repeat(1000) })
    expect(response.status).toBe(413)
    const body = (await response.json()) as { ok: boolean; error: { message: string } }
    expect(body.error.message).toContain('big.csv')
    expect(body.error.message).toMatch(/up to 1 MiB|up to 1.0 GiB|up to/)
    const uploads = path.join(t.home, 'uploads')
    expect(fs.existsSync(uploads) ? fs.readdirSync(uploads) : []).toEqual([])
  })

  it('takes an upload under the limit into <home>/uploads', async () => {
    t = await startTestHost({ maxUploadBytes: 1024 })
    const response = await fetch(`${t.host.origin}/upload?name=small.csv`, { method: 'POST', headers: { ...ownPageHeaders(t.host), 'Content-Type': 'text/csv' }, body: 'a,b\n1,2\n' })
    expect(response.status).toBe(200)
    const saved = ((await response.json()) as { value: { path: string } }).value.path
    expect(fs.readFileSync(saved, 'utf8')).toBe('a,b\n1,2\n')
  })

  it('says which folder lacks space, and how much, when the disk cannot take the file', () => {
    t = { stop: async () => {} } as TestHost
    const home = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'lt-upload-'))
    try {
      const fit = checkUploadFits(home, 10, { reserveBytes: Number.MAX_SAFE_INTEGER })
      expect(fit.ok).toBe(false)
      if (!fit.ok) {
        expect(fit.reason).toBe('no-space')
        expect(fit.message).toContain(path.join(home, 'uploads'))
        expect(fit.message).toMatch(/free/)
      }
      expect(checkUploadFits(home, 10, { reserveBytes: 0 }).ok).toBe(true)
    } finally {
      fs.rmSync(home, { recursive: true, force: true })
    }
  })
})

import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { startBrowserHost, type BrowserHost, type BrowserHostOptions } from '../../../src/main/browser-host/server'
import { createCore, type Core } from '../../../src/main/core/create-core'
import { makeTempHome } from '../../helpers/temp-home'

export interface TestHost {
  core: Core
  host: BrowserHost
  home: string
  /** Messages the host logged about its own failures. */
  warnings: string[]
  stop(): Promise<void>
}

/** A browser host over a fresh home and a one-page renderer folder. */
export async function startTestHost(options: Partial<Omit<BrowserHostOptions, 'core' | 'rendererDir'>> = {}): Promise<TestHost> {
  const temp = makeTempHome()
  const rendererDir = path.join(temp.home, 'renderer')
  fs.mkdirSync(rendererDir)
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>LocalTune</title>')
  const core = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home, PATH: '' } })
  const warnings: string[] = []
  const host = await startBrowserHost({ core, rendererDir, warn: (message) => warnings.push(message), ...options })
  return {
    core,
    host,
    home: temp.home,
    warnings,
    stop: async () => {
      await host.close()
      core.close()
      temp.cleanup()
    }
  }
}

/** Headers of a call from LocalTune's own page (what the renderer's fetch sends). */
export function ownPageHeaders(host: BrowserHost): Record<string, string> {
  return { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json', Origin: host.origin, 'Sec-Fetch-Site': 'same-origin' }
}

/**
 * Writes raw bytes to the host and collects whatever comes back until the host closes or
 * `waitMs` passes. For requests no HTTP client would send (`GET //[`, random bytes).
 */
export function rawExchange(port: number, bytes: Buffer | string, waitMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(Buffer.concat(chunks).toString('latin1'))
    }
    const timer = setTimeout(done, waitMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', done)
    socket.on('close', done)
    socket.on('connect', () => socket.write(bytes))
  })
}

/** The status code of a raw HTTP answer ("HTTP/1.1 400 Bad Request…" → 400), or null. */
export function statusOf(answer: string): number | null {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(answer)
  return match ? Number(match[1]) : null
}

/** Whether the host still answers a contract call: the proof that it survived. */
export async function hostAnswers(host: BrowserHost): Promise<boolean> {
  try {
    const response = await fetch(`${host.origin}/api/runs.list`, { method: 'POST', headers: ownPageHeaders(host), body: '{}' })
    return response.status === 200 && ((await response.json()) as { ok: boolean }).ok
  } catch {
    return false
  }
}

/** A small deterministic generator (mulberry32): a failing fuzz case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

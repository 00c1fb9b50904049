import { fork, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import fs from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { GreedyRun, HostReply, HostRequest, LlamaModelFacts, PromptToRun } from './llama-cpp-protocol'

/**
 * The core's side of the llama.cpp child process: starts it on first use (child_process.fork;
 * under Electron, fork runs Electron's Node), sends requests, routes replies, and ends it after
 * a while without requests so a loaded model does not hold memory for nothing.
 */

type Pending = {
  resolve(value: unknown): void
  reject(error: Error): void
  onText?: (text: string) => void
}

/**
 * The child's entry next to this module. Built (.js) it runs directly; from source (.ts, under
 * tsx or vitest) Node loads it through tsx's loader.
 */
function entry(): { file: string; execArgv: string[] } {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return { file: fileURLToPath(new URL('./llama-cpp-process.js', here)), execArgv: [] }
  const require = createRequire(here)
  return { file: fileURLToPath(new URL('./llama-cpp-process.ts', here)), execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href] }
}

export interface LlamaCppHostOptions {
  /** The child exits after this long without a request (default 2 minutes). */
  idleMs?: number
  env?: NodeJS.ProcessEnv
}

export class LlamaCppHost {
  private child: ChildProcess | null = null
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private idleTimer: NodeJS.Timeout | null = null
  private readonly idleMs: number

  constructor(private readonly options: LlamaCppHostOptions = {}) {
    this.idleMs = options.idleMs ?? 120_000
  }

  private start(): ChildProcess {
    if (this.child) return this.child
    const { file, execArgv } = entry()
    const child = fork(file, [], { execArgv, env: this.options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000)
    })
    child.on('message', (reply: HostReply) => this.route(reply))
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null
      const why = signal ? `was ended by ${signal}` : `exited with code ${code}`
      const detail = stderr.trim() ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''
      for (const waiter of this.pending.values()) waiter.reject(new Error(`llama.cpp (node-llama-cpp) ${why}${detail}`))
      this.pending.clear()
    })
    this.child = child
    return child
  }

  private route(reply: HostReply): void {
    const waiter = this.pending.get(reply.id)
    if (!waiter) return
    if (reply.type === 'text') {
      waiter.onText?.(reply.text)
      return
    }
    this.pending.delete(reply.id)
    if (reply.type === 'error') waiter.reject(new Error(reply.message))
    else waiter.resolve(reply)
    this.armIdleTimer()
  }

  private armIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    if (this.pending.size > 0) return
    this.idleTimer = setTimeout(() => this.close(), this.idleMs)
    this.idleTimer.unref()
  }

  private request<T>(build: (id: number) => HostRequest, onText?: (text: string) => void): Promise<T> {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    const child = this.start()
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onText })
      child.send(build(id))
    })
  }

  /** Greedy answers (temperature 0) to each prompt, with the ids llama.cpp fed the model. */
  async check(modelPath: string, prompts: PromptToRun[]): Promise<{ facts: LlamaModelFacts; runs: GreedyRun[] }> {
    const reply = await this.request<Extract<HostReply, { type: 'checked' }>>((id) => ({ type: 'check', id, modelPath, prompts }))
    return { facts: reply.facts, runs: reply.runs }
  }

  async generate(modelPath: string, prompt: PromptToRun, temperature: number, onText: (text: string) => void): Promise<{ text: string; tokens: number; stop: 'end' | 'length' }> {
    const reply = await this.request<Extract<HostReply, { type: 'answer' }>>((id) => ({ type: 'generate', id, modelPath, prompt, temperature }), onText)
    return { text: reply.text, tokens: reply.tokens, stop: reply.stop }
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    const child = this.child
    this.child = null
    if (child && child.exitCode === null) child.kill()
  }
}

/** node-llama-cpp's version, for saying which llama.cpp verified an export. */
export function nodeLlamaCppVersion(): string | null {
  try {
    // The package exports no package.json; it sits one folder above its entry (dist/index.js).
    const main = createRequire(import.meta.url).resolve('node-llama-cpp')
    return (JSON.parse(fs.readFileSync(path.join(path.dirname(main), '..', 'package.json'), 'utf8')) as { version?: string }).version ?? null
  } catch {
    return null
  }
}

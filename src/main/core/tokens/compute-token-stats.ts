import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { ModelCatalogEntry } from '../../../shared/estimator/model-catalog-entry'
import type { TokenStats } from '../../../shared/estimator/token-stats'
import { summariseTokenCounts } from '../../../shared/estimator/token-stats'
import type { TokenWorkerData, TokenWorkerReply, TokenWorkerRequest } from './token-stats-worker'

/**
 * Token statistics of a training set, streamed: texts are read one batch at a time and counted
 * in a worker thread with the model's own tokenizer.json.
 *
 * Without a tokenizer the counts are approximated as ⌈UTF-8 bytes ÷ 4⌉ + 1 (EOS), said plainly
 * with `approximate: true`. Byte-level BPE tokenizers average 4–5 bytes per token on English
 * text (measured on ../shared/data/gpteacher-roleplay.csv: GPT-2 5.0, Phi-3/Llama-2 4.3), so
 * ÷ 4 over-counts by 7–25 %: the memory estimate errs on the safe side. Non-Latin scripts
 * tokenise into more tokens per byte; there the approximation can under-count.
 */

export type TokenCounter =
  | { kind: 'tokenizer'; dir: string }
  | { kind: 'bytes' }
  | { kind: 'approximate'; reason: string }

/** How to count tokens for a catalog entry. */
export function tokenCounterFor(entry: ModelCatalogEntry): TokenCounter {
  if (entry.isDemo) return { kind: 'bytes' }
  if (entry.path && entry.hasTokenizer) return { kind: 'tokenizer', dir: entry.path }
  return { kind: 'approximate', reason: `${entry.id} has no tokenizer.json` }
}

export interface TokenStatsOptions {
  counter: TokenCounter
  /** Texts sent to the worker at once. */
  batchSize?: number
  signal?: AbortSignal
  /** Called after each batch with the number of examples counted so far. */
  onProgress?: (examples: number) => void
}

export const approximateBytesPerToken = 4

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/**
 * The worker module next to this one. Built (.js) it loads directly. From source (.ts, under
 * tsx or vitest) a small CommonJS bootstrap registers tsx's require hook and then loads the
 * TypeScript worker, because ESM loader hooks do not reach worker threads on Node 20.
 */
function startWorker(tokenizerDir: string): Worker {
  const here = import.meta.url
  const data: TokenWorkerData = { tokenizerDir }
  if (!here.endsWith('.ts')) return new Worker(new URL('./token-stats-worker.js', here), { workerData: data })
  const require = createRequire(here)
  const bootstrap = "const { workerData } = require('node:worker_threads'); require(workerData.tsxRequireHook); require(workerData.entry);"
  return new Worker(bootstrap, { eval: true, workerData: { ...data, tsxRequireHook: require.resolve('tsx/cjs'), entry: fileURLToPath(new URL('./token-stats-worker.ts', here)) } })
}

class TokenWorker {
  private readonly worker: Worker
  private nextId = 1
  private pending = new Map<number, { resolve: (counts: number[]) => void; reject: (error: Error) => void }>()
  private failure: Error | null = null
  readonly ready: Promise<void>

  constructor(tokenizerDir: string) {
    this.worker = startWorker(tokenizerDir)
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (reply: TokenWorkerReply) => {
        if (reply.type === 'ready') resolve()
        else if (reply.type === 'counts') {
          this.pending.get(reply.id)?.resolve(reply.counts)
          this.pending.delete(reply.id)
        } else this.fail(new Error(reply.message), reject)
      })
      this.worker.on('error', (error) => this.fail(new Error(`the tokenizer worker crashed: ${error.message}`), reject))
      this.worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`the tokenizer worker stopped (exit code ${code})`), reject)
      })
    })
  }

  private fail(error: Error, rejectReady: (error: Error) => void): void {
    this.failure ??= error
    rejectReady(error)
    for (const waiter of this.pending.values()) waiter.reject(error)
    this.pending.clear()
  }

  count(texts: string[]): Promise<number[]> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ type: 'count', id, texts } satisfies TokenWorkerRequest)
    })
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}

export async function computeTokenStats(texts: AsyncIterable<string> | Iterable<string>, options: TokenStatsOptions): Promise<TokenStats> {
  const batchSize = options.batchSize ?? 256
  const counts: number[] = []
  const counter = options.counter
  let worker: TokenWorker | null = null
  if (counter.kind === 'tokenizer') {
    if (!fs.existsSync(path.join(counter.dir, 'tokenizer.json'))) throw new Error(`${path.join(counter.dir, 'tokenizer.json')} does not exist.`)
    worker = new TokenWorker(counter.dir)
    await worker.ready
  }
  const countBatch = async (batch: string[]): Promise<void> => {
    if (worker) counts.push(...(await worker.count(batch)))
    else if (counter.kind === 'bytes') for (const text of batch) counts.push(utf8Length(text) + 1)
    else for (const text of batch) counts.push(Math.ceil(utf8Length(text) / approximateBytesPerToken) + 1)
    options.onProgress?.(counts.length)
  }
  try {
    let batch: string[] = []
    for await (const text of texts) {
      if (options.signal?.aborted) throw new Error('Token counting was cancelled.')
      batch.push(text)
      if (batch.length >= batchSize) {
        await countBatch(batch)
        batch = []
      }
    }
    if (batch.length > 0) await countBatch(batch)
  } finally {
    await worker?.close()
  }
  const method =
    counter.kind === 'tokenizer'
      ? `counted with ${path.join(counter.dir, 'tokenizer.json')} (special tokens and EOS included, as the runtime trains)`
      : counter.kind === 'bytes'
        ? 'counted exactly with the demo model\'s byte tokenizer (UTF-8 bytes + EOS)'
        : `approximated as UTF-8 bytes ÷ ${approximateBytesPerToken} + EOS because ${counter.reason}; real counts are usually 7–25 % lower for English text`
  return summariseTokenCounts(counts, { approximate: counter.kind === 'approximate', method })
}

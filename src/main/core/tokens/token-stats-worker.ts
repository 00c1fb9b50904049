import fs from 'node:fs'
import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { Tokenizer } from '@huggingface/tokenizers'

/**
 * Worker thread: loads a model's tokenizer.json once and counts tokens for batches of texts,
 * so tokenising a large dataset never blocks the main thread (UI host, CLI progress).
 *
 * Counts match the training runtime: the tokenizer's own special tokens (e.g. BOS) are added,
 * and one EOS is appended unless the text already ends with it.
 */

export interface TokenWorkerData {
  tokenizerDir: string
}
export type TokenWorkerRequest = { type: 'count'; id: number; texts: string[] }
export type TokenWorkerReply =
  | { type: 'ready' }
  | { type: 'counts'; id: number; counts: number[] }
  | { type: 'error'; message: string }

function tokenText(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content
  return null
}

function start(): void {
  const port = parentPort
  if (!port) return
  const { tokenizerDir } = workerData as TokenWorkerData
  let tokenizer: Tokenizer
  let eosId: number | undefined
  try {
    const tokenizerFile = path.join(tokenizerDir, 'tokenizer.json')
    const configFile = path.join(tokenizerDir, 'tokenizer_config.json')
    const tokenizerJson = JSON.parse(fs.readFileSync(tokenizerFile, 'utf8')) as object
    const config = fs.existsSync(configFile) ? (JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>) : {}
    tokenizer = new Tokenizer(tokenizerJson, config)
    const eos = tokenText(config.eos_token)
    eosId = eos !== null ? tokenizer.token_to_id(eos) : undefined
  } catch (error) {
    port.postMessage({ type: 'error', message: `${path.join(tokenizerDir, 'tokenizer.json')} cannot be used: ${(error as Error).message}` } satisfies TokenWorkerReply)
    return
  }
  port.postMessage({ type: 'ready' } satisfies TokenWorkerReply)
  port.on('message', (request: TokenWorkerRequest) => {
    try {
      const counts = request.texts.map((text) => {
        const ids = tokenizer.encode(text).ids
        return ids.length + (eosId !== undefined && ids[ids.length - 1] === eosId ? 0 : 1)
      })
      port.postMessage({ type: 'counts', id: request.id, counts } satisfies TokenWorkerReply)
    } catch (error) {
      port.postMessage({ type: 'error', message: `tokenizing failed: ${(error as Error).message}` } satisfies TokenWorkerReply)
    }
  })
}

start()

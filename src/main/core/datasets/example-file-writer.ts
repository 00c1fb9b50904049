import { Worker } from 'node:worker_threads'
import type { FormattedExample } from '../../../shared/dataset/formatted-example'
import { isChatExample } from '../../../shared/dataset/formatted-example'

/**
 * Writing train.jsonl costs about as much CPU as parsing the CSV: every byte of text is looked
 * at again for JSON escaping. A worker thread does that part and the disk writes, while the
 * main thread keeps parsing and formatting, so a big export takes the time of the slower of the
 * two instead of their sum, and the app's main thread stays free for the UI.
 *
 * The main thread sends the formatted prompt/response (or text) as raw UTF-8 in transferred
 * buffers; the worker writes `{"prompt":..,"response":..,"row":N}` / `{"text":..,"row":N}`
 * lines, byte for byte what JSON.stringify would give (see jsonLine), except that lone UTF-16
 * surrogates (only a broken UTF-16 file has them) become U+FFFD, since UTF-8 cannot hold them.
 *
 * A chat-template example also carries `"markup"` (the ranges its template wrote), after the
 * response: `{"prompt":..,"response":..,"markup":[[0,12],..],"row":N}`.
 *
 * The worker is plain JavaScript with no imports of ours, so it runs the same from sources,
 * tests, and the bundled app.
 */
const workerSource = String.raw`
const { parentPort } = require('node:worker_threads')
const fs = require('node:fs')
const hex = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]
const needsEscape = new Uint8Array(256)
for (let byte = 0; byte < 32; byte++) needsEscape[byte] = 1
needsEscape[34] = 1
needsEscape[92] = 1
const shortEscape = new Uint8Array(256)
shortEscape[8] = 98; shortEscape[9] = 116; shortEscape[10] = 110; shortEscape[12] = 102; shortEscape[13] = 114; shortEscape[34] = 34; shortEscape[92] = 92
const keyPrompt = Buffer.from('{"prompt":')
const keyResponse = Buffer.from(',"response":')
const keyText = Buffer.from('{"text":')
const keyRow = Buffer.from(',"row":')
const files = new Map()

function flush(file) {
  let offset = 0
  while (offset < file.used) offset += fs.writeSync(file.fd, file.out, offset, file.used - offset)
  file.used = 0
}
function ensure(file, bytes) {
  if (file.used + bytes <= file.out.length) return
  flush(file)
  if (bytes > file.out.length) file.out = Buffer.allocUnsafe(bytes)
}
function copy(file, bytes) {
  bytes.copy(file.out, file.used)
  file.used += bytes.length
}
function writeString(file, source, start, end) {
  const out = file.out
  let at = file.used
  out[at++] = 34
  for (let i = start; i < end; i++) {
    const byte = source[i]
    if (needsEscape[byte] === 0) {
      out[at++] = byte
      continue
    }
    out[at++] = 92
    const short = shortEscape[byte]
    if (short !== 0) out[at++] = short
    else {
      out[at++] = 117; out[at++] = 48; out[at++] = 48; out[at++] = hex[byte >> 4]; out[at++] = hex[byte & 15]
    }
  }
  out[at++] = 34
  file.used = at
}

parentPort.on('message', (message) => {
  try {
    if (message.type === 'open') {
      files.set(message.id, { fd: fs.openSync(message.path, message.flags), out: Buffer.allocUnsafe(4 * 1024 * 1024), used: 0, lines: 0 })
      return
    }
    const file = files.get(message.id)
    if (message.type === 'write') {
      const source = Buffer.from(message.bytes, 0, message.used)
      // markup[k]: the line's ',"markup":[[a,b],…]' (digits and punctuation only), or ''.
      const meta = new Uint32Array(message.meta)
      let at = 0
      for (let k = 0; k < message.count; k++) {
        const chat = meta[k * 4] === 0
        const first = meta[k * 4 + 1]
        const second = meta[k * 4 + 2]
        ensure(file, (first + second) * 6 + 64 + (message.markup[k] ? message.markup[k].length : 0))
        copy(file, chat ? keyPrompt : keyText)
        writeString(file, source, at, at + first)
        at += first
        if (chat) {
          copy(file, keyResponse)
          writeString(file, source, at, at + second)
          at += second
          const markup = message.markup[k]
          if (markup) file.used += file.out.write(markup, file.used, 'latin1')
        }
        copy(file, keyRow)
        file.used += file.out.write(String(meta[k * 4 + 3]), file.used, 'latin1')
        file.out[file.used++] = 125
        file.out[file.used++] = 10
        file.lines++
      }
      parentPort.postMessage({ type: 'written', id: message.id })
    } else if (message.type === 'close') {
      flush(file)
      fs.closeSync(file.fd)
      files.delete(message.id)
      parentPort.postMessage({ type: 'closed', id: message.id, lines: file.lines })
    }
  } catch (error) {
    parentPort.postMessage({ type: 'error', id: message.id, message: String((error && error.message) || error) })
  }
})
`

const batchBytes = 4 * 1024 * 1024
const batchLines = 16 * 1024
// Batches the worker has not written yet; more means the disk or the worker is behind.
const maxBatchesInFlight = 3

type WorkerReply = { type: 'written'; id: number } | { type: 'closed'; id: number; lines: number } | { type: 'error'; id: number; message: string }

/** One worker thread writing any number of example files. */
export class ExampleWriterThread {
  private readonly worker: Worker
  private nextId = 0
  private inFlight = 0
  private failure: Error | null = null
  private waiters: (() => void)[] = []
  private readonly closing = new Map<number, { resolve: (lines: number) => void; reject: (error: Error) => void }>()

  constructor() {
    this.worker = new Worker(workerSource, { eval: true })
    this.worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'written') {
        this.inFlight--
        this.wake()
      } else if (reply.type === 'closed') {
        this.closing.get(reply.id)?.resolve(reply.lines)
        this.closing.delete(reply.id)
      } else this.fail(new Error(`Writing the training file failed: ${reply.message}`))
    })
    this.worker.on('error', (error) => this.fail(error))
    this.worker.on('exit', (code) => {
      if (this.closing.size > 0 || this.inFlight > 0) this.fail(new Error(`The training file writer stopped (exit code ${code}).`))
    })
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  private fail(error: Error): void {
    this.failure ??= error
    for (const { reject } of this.closing.values()) reject(this.failure)
    this.closing.clear()
    this.wake()
  }

  /** Throws the worker's failure, if any: a full disk surfaces on the next row, not at the end. */
  check(): void {
    if (this.failure) throw this.failure
  }

  open(filePath: string, flags: 'w' | 'a' = 'w'): ExampleFileWriter {
    this.check()
    const id = this.nextId++
    this.worker.postMessage({ type: 'open', id, path: filePath, flags })
    return new ExampleFileWriter(this, id, filePath)
  }

  /** `bytes` must be a whole ArrayBuffer of its own (never Node's shared pool): it is transferred. */
  send(id: number, bytes: ArrayBuffer, used: number, meta: ArrayBuffer, count: number, markup: string[]): void {
    this.check()
    this.inFlight++
    this.worker.postMessage({ type: 'write', id, bytes, used, meta, count, markup }, [bytes, meta])
  }

  /** Waits until the worker is at most a couple of batches behind. */
  async keepUp(): Promise<void> {
    while (this.inFlight > maxBatchesInFlight && !this.failure) await new Promise<void>((resolve) => this.waiters.push(resolve))
    this.check()
  }

  close(id: number): Promise<number> {
    this.check()
    return new Promise<number>((resolve, reject) => {
      this.closing.set(id, { resolve, reject })
      this.worker.postMessage({ type: 'close', id })
    })
  }

  /** Ends the thread. Node closes the files it still had open (after a failure), unflushed. */
  async stop(): Promise<void> {
    await this.worker.terminate()
  }
}

/**
 * Appends examples to one JSONL file through an ExampleWriterThread. `lines` counts the
 * examples added so far (the line each next example will get, from 0).
 */
export class ExampleFileWriter {
  private bytes = Buffer.allocUnsafe(batchBytes)
  private used = 0
  private meta = new Uint32Array(batchLines * 4)
  private markup: string[] = []
  private count = 0
  lines = 0

  constructor(
    private readonly thread: ExampleWriterThread,
    private readonly id: number,
    readonly filePath: string
  ) {}

  addExample(example: FormattedExample, row: number): void {
    this.thread.check()
    const chat = isChatExample(example)
    const first = chat ? example.prompt : example.text
    const second = chat ? example.response : ''
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const worst = (first.length + second.length) * 3
    if (this.count === batchLines || this.used + worst > this.bytes.length) {
      this.send()
      // Larger than 4 KiB, so never from Node's shared pool (which must not be transferred).
      if (worst > this.bytes.length) this.bytes = Buffer.allocUnsafe(worst)
    }
    const firstBytes = this.bytes.write(first, this.used)
    this.used += firstBytes
    const secondBytes = chat ? this.bytes.write(second, this.used) : 0
    this.used += secondBytes
    const at = this.count * 4
    this.meta[at] = chat ? 0 : 1
    this.meta[at + 1] = firstBytes
    this.meta[at + 2] = secondBytes
    this.meta[at + 3] = row
    this.markup.push(chat ? markupJson(example.markup) : '')
    this.count++
    this.lines++
  }

  private send(): void {
    if (this.count === 0) return
    // Transferring moves the buffers to the worker without copying; fresh ones take their place.
    this.thread.send(this.id, this.bytes.buffer as ArrayBuffer, this.used, this.meta.buffer as ArrayBuffer, this.count, this.markup)
    this.bytes = Buffer.allocUnsafe(batchBytes)
    this.meta = new Uint32Array(batchLines * 4)
    this.markup = []
    this.used = 0
    this.count = 0
  }

  /** Hands what is buffered to the worker and waits if it is falling behind. */
  async flush(): Promise<void> {
    this.send()
    await this.thread.keepUp()
  }

  /** Resolves once every example is on disk and the file is closed. */
  async close(): Promise<void> {
    this.send()
    await this.thread.close(this.id)
  }
}

/** The `,"markup":[…]` member of a chat example's line, or '' when it has none (LocalTune format). */
export function markupJson(markup: ReadonlyArray<readonly [number, number]> | undefined): string {
  return markup ? `,"markup":${JSON.stringify(markup)}` : ''
}

import type { Worker } from 'node:worker_threads'
import type { FormattedExample } from '../../../shared/dataset/formatted-example'
import { isChatExample } from '../../../shared/dataset/formatted-example'
import { startWorkerModule } from '../start-worker-module'
import type { ExampleWorkerMessage, ExampleWorkerReply } from './example-file-worker'

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
 * The escaping and writing live in example-file-worker.ts, an entry of its own in the build.
 */
const batchBytes = 4 * 1024 * 1024
const batchLines = 16 * 1024
// Batches the worker has not written yet; more means the disk or the worker is behind.
const maxBatchesInFlight = 3

/** One worker thread writing any number of example files. */
export class ExampleWriterThread {
  private readonly worker: Worker
  private nextId = 0
  private inFlight = 0
  private failure: Error | null = null
  private waiters: (() => void)[] = []
  private readonly closing = new Map<number, { resolve: (lines: number) => void; reject: (error: Error) => void }>()

  constructor() {
    this.worker = startWorkerModule('example-file-worker', import.meta.url)
    this.worker.on('message', (reply: ExampleWorkerReply) => {
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

  private post(message: ExampleWorkerMessage, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer)
  }

  /** Throws the worker's failure, if any: a full disk surfaces on the next row, not at the end. */
  check(): void {
    if (this.failure) throw this.failure
  }

  open(filePath: string, flags: 'w' | 'a' = 'w'): ExampleFileWriter {
    this.check()
    const id = this.nextId++
    this.post({ type: 'open', id, path: filePath, flags })
    return new ExampleFileWriter(this, id, filePath)
  }

  /** `bytes` must be a whole ArrayBuffer of its own (never Node's shared pool): it is transferred. */
  send(id: number, bytes: ArrayBuffer, used: number, meta: ArrayBuffer, count: number, markup: string[]): void {
    this.check()
    this.inFlight++
    this.post({ type: 'write', id, bytes, used, meta, count, markup }, [bytes, meta])
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
      this.post({ type: 'close', id })
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

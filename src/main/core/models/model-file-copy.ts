import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'

/**
 * Copies a model's files with streams: the reads and writes run on libuv's thread pool, so a host
 * copying gigabytes of weights keeps answering (HTTP, WebSocket, live runs). Each file's sha256 is
 * taken from the bytes as they pass, so nothing is read twice.
 */

export interface TransferProgress {
  /** The file being copied, relative to the model folder ('/'-separated). */
  file: string
  bytesDone: number
  bytesTotal: number
}

/** The user (or Ctrl+C) stopped the copy; what it had written is gone. */
export class TransferCancelledError extends Error {
  constructor() {
    super('The copy was cancelled.')
    this.name = 'TransferCancelledError'
  }
}

export interface FileToCopy {
  /** Relative to the model folder, with the platform's separator. */
  relative: string
  from: string
  to: string
  bytes: number
}

export interface CopyOptions {
  signal?: AbortSignal
  /** Called when a file starts, about every 1% of the bytes, and once at the end with bytesDone = bytesTotal. */
  onProgress?: (progress: TransferProgress) => void
}

const chunkBytes = 1024 * 1024

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return Boolean(signal?.aborted) || (error instanceof Error && error.name === 'AbortError')
}

/** Copies the files one after another; answers each file's sha256 (hex), in the order given. */
export async function copyModelFiles(files: readonly FileToCopy[], options: CopyOptions = {}): Promise<string[]> {
  const bytesTotal = files.reduce((sum, file) => sum + file.bytes, 0)
  // Reporting by bytes, not by time: about a hundred events for any size, the same on every machine.
  const step = Math.max(chunkBytes, Math.floor(bytesTotal / 100))
  let bytesDone = 0
  let reportedAt = -1
  const report = (file: string, force: boolean) => {
    if (!force && bytesDone - reportedAt < step) return
    reportedAt = bytesDone
    options.onProgress?.({ file, bytesDone, bytesTotal })
  }
  const hashes: string[] = []
  for (const file of files) {
    if (options.signal?.aborted) throw new TransferCancelledError()
    const name = file.relative.split(path.sep).join('/')
    report(name, true)
    const hash = createHash('sha256')
    await fs.promises.mkdir(path.dirname(file.to), { recursive: true })
    try {
      await pipeline(
        fs.createReadStream(file.from, { highWaterMark: chunkBytes }),
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk)
            bytesDone += chunk.length
            report(name, false)
            yield chunk
          }
        },
        // 'wx': never write over a file that is already there (the target was checked empty).
        fs.createWriteStream(file.to, { flags: 'wx' }),
        { signal: options.signal }
      )
    } catch (error) {
      if (isAbort(error, options.signal)) throw new TransferCancelledError()
      throw error
    }
    hashes.push(hash.digest('hex'))
  }
  report(files.at(-1)?.relative.split(path.sep).join('/') ?? '', true)
  return hashes
}

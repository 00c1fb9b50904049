import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { UserFacingError } from '../user-facing-error'

export interface SavedUpload {
  /** Where the file now is: `<home>/uploads/<unique>/<fileName>`; ingest it from here. */
  path: string
  fileName: string
  sizeBytes: number
}

/**
 * A file name that is safe on every OS and cannot leave its folder: no separators, no `..`,
 * no characters Windows forbids, at most 180 characters (the extension is kept).
 */
export function safeUploadName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? ''
  let name = base.replace(/[\u0000-\u001f<>:"|?*]/g, '_').replace(/^[.\s]+|[.\s]+$/g, '')
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(name)) name = `_${name}`
  if (name === '') name = 'upload.csv'
  if (name.length > 180) {
    const extension = path.extname(name).slice(0, 20)
    name = name.slice(0, 180 - extension.length) + extension
  }
  return name
}

/** The largest CSV browser mode takes by default: well past any dataset a single GPU finetunes on. */
export const defaultMaxUploadBytes = 1024 * 1024 * 1024

/** Free space kept for the database, run folders and checkpoints after an upload has landed. */
export const uploadReserveBytes = 512 * 1024 * 1024

export type UploadFit = { ok: true } | { ok: false; reason: 'too-large' | 'no-space'; message: string }

function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.ceil(bytes / 1024 ** 2)} MiB`
}

/**
 * Whether an upload of `sizeBytes` may start: under the size limit, and leaving `reserveBytes`
 * free on the disk of `<home>/uploads` (a full disk fails the next checkpoint, not the upload).
 */
export function checkUploadFits(home: string, sizeBytes: number, options: { maxBytes?: number; reserveBytes?: number } = {}): UploadFit {
  const maxBytes = options.maxBytes ?? defaultMaxUploadBytes
  if (sizeBytes > maxBytes) {
    return {
      ok: false,
      reason: 'too-large',
      message: `The file is ${formatBytes(sizeBytes)}; browser mode takes files up to ${formatBytes(maxBytes)}. Use the desktop app or \`localtune format\` on the file where it is, which read it in place.`
    }
  }
  const folder = path.join(home, 'uploads')
  let free: number
  try {
    fs.mkdirSync(folder, { recursive: true })
    const stats = fs.statfsSync(folder)
    free = stats.bavail * stats.bsize
  } catch (error) {
    return { ok: false, reason: 'no-space', message: `${folder} cannot take uploads: ${(error as Error).message}. Check that the folder exists and is writable.` }
  }
  const reserve = options.reserveBytes ?? uploadReserveBytes
  if (sizeBytes + reserve > free) {
    return {
      ok: false,
      reason: 'no-space',
      message: `Not enough free space for the file in ${folder}: it needs ${formatBytes(sizeBytes)} plus ${formatBytes(reserve)} kept free for training, and the disk has ${formatBytes(free)} free. Free some space (old runs in History take the most), or set LOCALTUNE_HOME to a bigger disk.`
    }
  }
  return { ok: true }
}

/**
 * Streams an uploaded file (a Node stream such as an HTTP request, or a web ReadableStream) to `<home>/uploads/<unique>/<fileName>` chunk by chunk (never the
 * whole file in memory). A failed or oversized upload leaves nothing behind.
 */
export async function saveUpload(
  home: string,
  fileName: string,
  source: AsyncIterable<Uint8Array | string> | WebReadableStream<Uint8Array> | ReadableStream<Uint8Array>,
  options: { maxBytes?: number; signal?: AbortSignal } = {}
): Promise<SavedUpload> {
  const chunks: AsyncIterable<Uint8Array | string> =
    'getReader' in source ? Readable.fromWeb(source as WebReadableStream<Uint8Array>) : source
  const name = safeUploadName(fileName)
  const folder = path.join(home, 'uploads', `${Date.now()}-${crypto.randomBytes(4).toString('hex')}`)
  await fs.promises.mkdir(folder, { recursive: true })
  const target = path.join(folder, name)
  let sizeBytes = 0
  const maxBytes = options.maxBytes
  try {
    await pipeline(
      chunks,
      async function* count(chunks: AsyncIterable<Uint8Array | string>) {
        for await (const chunk of chunks) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
          sizeBytes += bytes.length
          if (maxBytes !== undefined && sizeBytes > maxBytes) {
            throw new UserFacingError(`${name} is larger than the upload limit of ${maxBytes} bytes.`, { code: 'invalid_request' })
          }
          yield bytes
        }
      },
      fs.createWriteStream(target, { flags: 'wx' }),
      ...(options.signal ? [{ signal: options.signal }] : [])
    )
  } catch (error) {
    await fs.promises.rm(folder, { recursive: true, force: true })
    throw error
  }
  return { path: target, fileName: name, sizeBytes }
}

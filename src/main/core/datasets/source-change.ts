import crypto from 'node:crypto'
import fs from 'node:fs'
import { pipeline } from 'node:stream/promises'
import type { SourceChange } from '../../../shared/dataset/record'

/** SHA-256 of a file, streamed. */
export async function hashFile(filePath: string): Promise<string> {
  const hash = crypto.createHash('sha256')
  await pipeline(fs.createReadStream(filePath, { highWaterMark: 1024 * 1024 }), hash)
  return hash.digest('hex')
}

/**
 * Whether the imported file is still the same: a different size settles it at once, the same
 * size and modified time count as unchanged, and a new modified time is settled by the hash
 * (a file saved again without edits is still the same data).
 */
export async function findChangedSource(record: { sourcePath: string; sizeBytes: number; modifiedMs: number; sha256: string }): Promise<SourceChange> {
  let stat: fs.Stats
  try {
    stat = await fs.promises.stat(record.sourcePath)
  } catch {
    return { status: 'changed', reason: 'missing', message: `${record.sourcePath} is no longer there. Choose the file again, or import it from where it is now.` }
  }
  if (stat.size !== record.sizeBytes) {
    return {
      status: 'changed',
      reason: 'size',
      message: `${record.sourcePath} changed since it was imported (${record.sizeBytes} → ${stat.size} bytes). Import it again to use the new rows.`
    }
  }
  if (Math.trunc(stat.mtimeMs) === record.modifiedMs) return { status: 'unchanged', checkedBy: 'size-and-time' }
  if ((await hashFile(record.sourcePath)) === record.sha256) return { status: 'unchanged', checkedBy: 'hash' }
  return {
    status: 'changed',
    reason: 'content',
    message: `${record.sourcePath} was edited since it was imported (same size, different content). Import it again to use the new rows.`
  }
}

import fs from 'node:fs'
import { UserFacingError } from '../user-facing-error'

export interface SourceStat {
  sizeBytes: number
  /** Whole milliseconds, so it survives a round trip through JSON and SQLite unchanged. */
  modifiedMs: number
}

/** Size and modified time of a user's file, with a message that says what to do when it is not there. */
export async function statSource(filePath: string): Promise<SourceStat> {
  let stat: fs.Stats
  try {
    stat = await fs.promises.stat(filePath)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UserFacingError(`The file ${filePath} does not exist. Check the path, or choose the file again.`, { code: 'not_found' })
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new UserFacingError(`LocalTune may not read ${filePath} (permission denied). Check the file's permissions.`, { code: 'failed' })
    }
    throw error
  }
  if (stat.isDirectory()) throw new UserFacingError(`${filePath} is a folder, not a CSV file. Choose the .csv file inside it.`, { code: 'invalid_request' })
  return { sizeBytes: stat.size, modifiedMs: Math.trunc(stat.mtimeMs) }
}

export class SourceChangedError extends UserFacingError {
  constructor(filePath: string, what: string) {
    super(`${filePath} changed since LocalTune read it (${what}). Import the file again to see its current rows.`, { code: 'conflict' })
    this.name = 'SourceChangedError'
  }
}

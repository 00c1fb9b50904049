import fs from 'node:fs'
import { lastPlainLines } from '../../../shared/terminal/plain-lines'

export const outputLogFile = 'output.log'

/**
 * Everything the runtime printed, appended as it arrives. Writes are synchronous so what was
 * printed is on disk even if the app dies a moment later; chunks are small and arrive at
 * terminal speed, so this never holds the event loop for long.
 */
export class OutputLog {
  private fd: number | null

  /** `onError` hears about the first failed write (a full disk); the run goes on without its log. */
  constructor(
    readonly file: string,
    private readonly onError: (error: Error) => void = () => {}
  ) {
    this.fd = fs.openSync(file, 'a')
  }

  append(data: string): void {
    if (this.fd === null || !data) return
    try {
      fs.writeSync(this.fd, data)
    } catch (error) {
      this.close()
      this.onError(error as Error)
    }
  }

  close(): void {
    if (this.fd === null) return
    const fd = this.fd
    this.fd = null
    try {
      fs.closeSync(fd)
    } catch {
      // nothing more can be done for a log that cannot be closed
    }
  }
}

/** The last `maxBytes` of a log (whole file when smaller), decoded; '' when there is none. */
export function readLogTail(file: string, maxBytes: number): { data: string; truncated: boolean } {
  let fd: number
  try {
    fd = fs.openSync(file, 'r')
  } catch {
    return { data: '', truncated: false }
  }
  try {
    const size = fs.fstatSync(fd).size
    const length = Math.min(size, maxBytes)
    const buffer = Buffer.alloc(length)
    fs.readSync(fd, buffer, 0, length, size - length)
    let data = buffer.toString('utf8')
    // A cut inside a multi-byte character decodes as U+FFFD at the start: drop it.
    if (length < size) data = data.replace(/^\uFFFD+/, '')
    return { data, truncated: length < size }
  } finally {
    fs.closeSync(fd)
  }
}

/** The last lines a person would have seen, for failure messages (escape codes removed). */
export function outputTailLines(file: string, count = 40): string[] {
  return lastPlainLines(readLogTail(file, 64 * 1024).data, count)
}

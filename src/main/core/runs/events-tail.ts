import fs from 'node:fs'
import path from 'node:path'

export interface CompleteLines {
  lines: string[]
  /** Byte offset just after the last complete line: where the next read starts. */
  nextOffset: number
}

const newline = 0x0a

/**
 * Reads the whole lines of `file` from byte `offset` on. A last line without its newline is
 * being written right now: it is left for the next read, so a reader never sees half an event.
 * A file shorter than `offset` was replaced; it is read again from the start.
 */
export function readCompleteLines(file: string, offset: number): CompleteLines {
  let fd: number
  try {
    fd = fs.openSync(file, 'r')
  } catch {
    return { lines: [], nextOffset: offset }
  }
  try {
    const size = fs.fstatSync(fd).size
    const start = size < offset ? 0 : offset
    if (size === start) return { lines: [], nextOffset: start }
    const buffer = Buffer.alloc(size - start)
    const read = fs.readSync(fd, buffer, 0, buffer.length, start)
    const lastNewline = buffer.lastIndexOf(newline, read - 1)
    if (lastNewline === -1) return { lines: [], nextOffset: start }
    const text = buffer.subarray(0, lastNewline).toString('utf8')
    const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    return { lines, nextOffset: start + lastNewline + 1 }
  } finally {
    fs.closeSync(fd)
  }
}

export interface EventsTailOptions {
  file: string
  offset: number
  /**
   * Called with each batch of new whole lines, in file order, and the offset after them. If it
   * throws (the database is busy, say), the same lines come again on the next read.
   */
  onLines(lines: string[], nextOffset: number): void
  /** Where a failed read or onLines goes; the tail keeps following. */
  onError?(error: unknown): void
  /** The fallback when file-system notifications are missing or late (network drives, some containers). */
  pollIntervalMs?: number
}

/**
 * Follows a growing JSONL file: fs.watch on its folder for prompt pushes, plus a slow poll
 * because fs.watch is not reliable everywhere. Reads are synchronous and never overlap, so
 * batches arrive in order and offsets only move forward.
 */
export class EventsTail {
  private offset: number
  private watcher: fs.FSWatcher | null = null
  private poll: NodeJS.Timeout | null = null
  private scheduled = false
  private stopped = false

  constructor(private readonly options: EventsTailOptions) {
    this.offset = options.offset
  }

  get currentOffset(): number {
    return this.offset
  }

  start(): void {
    const name = path.basename(this.options.file)
    try {
      this.watcher = fs.watch(path.dirname(this.options.file), (_event, changed) => {
        if (!changed || changed.toString() === name) this.schedule()
      })
      this.watcher.on('error', () => this.closeWatcher())
    } catch {
      this.watcher = null
    }
    this.poll = setInterval(() => this.schedule(), this.options.pollIntervalMs ?? 1000)
    this.poll.unref()
    this.schedule()
  }

  /** Reads whatever is there now; used at exit so the last events are not missed. */
  drain(): void {
    const { lines, nextOffset } = readCompleteLines(this.options.file, this.offset)
    if (nextOffset === this.offset && lines.length === 0) return
    if (lines.length > 0) this.options.onLines(lines, nextOffset)
    this.offset = nextOffset
  }

  stop(): void {
    this.stopped = true
    this.closeWatcher()
    if (this.poll) clearInterval(this.poll)
    this.poll = null
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      if (this.stopped) return
      try {
        this.drain()
      } catch (error) {
        this.options.onError?.(error)
      }
    })
  }

  private closeWatcher(): void {
    this.watcher?.close()
    this.watcher = null
  }
}

export interface OutputBatcherOptions {
  /** How long chunks gather before one push (the UI repaints at most this often). */
  intervalMs?: number
  /** The most characters one push carries; beyond it only the newest output is kept. */
  maxBatchChars?: number
  onFlush(data: string): void
}

/**
 * Gathers terminal output into one push every ~50 ms. A runtime that floods the terminal (a
 * progress bar redrawn thousands of times a second, a stack of warnings) would otherwise send
 * thousands of tiny messages and freeze the UI; past `maxBatchChars` the oldest part of a batch
 * is dropped with a note, because output.log keeps everything and the newest lines matter most.
 */
export class OutputBatcher {
  private readonly intervalMs: number
  private readonly maxBatchChars: number
  private readonly onFlush: (data: string) => void
  private pending: string[] = []
  private pendingChars = 0
  private droppedChars = 0
  private timer: NodeJS.Timeout | null = null

  constructor(options: OutputBatcherOptions) {
    this.intervalMs = options.intervalMs ?? 50
    this.maxBatchChars = options.maxBatchChars ?? 64 * 1024
    this.onFlush = options.onFlush
  }

  push(data: string): void {
    if (!data) return
    this.pending.push(data)
    this.pendingChars += data.length
    if (this.pendingChars > this.maxBatchChars * 2) this.trim()
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.intervalMs)
  }

  /** Sends what is pending now (at exit, so the last lines are not held back). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.pendingChars > this.maxBatchChars) this.trim()
    if (this.pendingChars === 0) return
    let data = this.pending.join('')
    if (this.droppedChars > 0) {
      data = `\r\n\x1b[0m[… ${this.droppedChars} characters of output skipped here; output.log has all of it]\r\n${data}`
    }
    this.pending = []
    this.pendingChars = 0
    this.droppedChars = 0
    this.onFlush(data)
  }

  /** Keeps the newest maxBatchChars, starting at a line break when one is near. */
  private trim(): void {
    const joined = this.pending.join('')
    let cut = joined.length - this.maxBatchChars
    const lineBreak = joined.indexOf('\n', cut)
    if (lineBreak !== -1 && lineBreak - cut < 1024) cut = lineBreak + 1
    this.droppedChars += cut
    const kept = joined.slice(cut)
    this.pending = [kept]
    this.pendingChars = kept.length
  }

  dispose(): void {
    this.flush()
  }
}

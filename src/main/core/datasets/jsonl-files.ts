import { once } from 'node:events'
import fs from 'node:fs'

const bufferBytes = 4 * 1024 * 1024

/**
 * Appends JSON lines (the dropped-rows list) to a file through a 4 MiB buffer: each line is
 * encoded into the buffer as it comes, and full buffers go to the disk while the next rows are
 * parsed. Training examples go through ExampleFileWriter instead.
 */
export class JsonlWriter {
  private readonly stream: fs.WriteStream
  private buffer = Buffer.allocUnsafe(bufferBytes)
  private used = 0
  lines = 0

  constructor(
    readonly filePath: string,
    flags: 'w' | 'a' = 'w'
  ) {
    this.stream = fs.createWriteStream(filePath, { flags, highWaterMark: 4 * bufferBytes })
  }

  /** `line` is one JSON value without the trailing newline. */
  add(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const worst = line.length * 3 + 1
    if (this.used + worst > this.buffer.length) {
      this.send()
      if (worst > this.buffer.length) this.buffer = Buffer.allocUnsafe(worst)
    }
    this.used += this.buffer.write(line, this.used)
    this.buffer[this.used++] = 10
    this.lines++
  }

  private send(): void {
    if (this.used === 0) return
    this.stream.write(this.buffer.subarray(0, this.used))
    this.buffer = Buffer.allocUnsafe(bufferBytes)
    this.used = 0
  }

  /** Hands the buffer to the disk, and waits when the disk is far behind. */
  async flush(): Promise<void> {
    this.send()
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain')
  }

  async close(): Promise<void> {
    this.send()
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject)
      this.stream.end(() => resolve())
    })
  }

  /** Stops writing after a failure; the caller removes the file. */
  abandon(): void {
    this.stream.destroy()
  }
}

async function writeAll(stream: fs.WriteStream, bytes: Buffer): Promise<void> {
  if (bytes.length > 0 && !stream.write(bytes)) await once(stream, 'drain')
}

async function endStream(stream: fs.WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject)
    stream.end(() => resolve())
  })
}

/**
 * Copies the lines of `source` into `train` or `validation` by line position (0-based), in
 * order, streaming: runs of lines going to the same file are written as one slice.
 */
export async function splitLinesByPosition(
  source: string,
  train: string,
  validation: string,
  isValidation: (position: number) => boolean,
  options: { appendToTrain?: boolean } = {}
): Promise<{ train: number; validation: number }> {
  const outputs = { train: fs.createWriteStream(train, { flags: options.appendToTrain ? 'a' : 'w' }), validation: fs.createWriteStream(validation) }
  const counts = { train: 0, validation: 0 }
  let position = 0
  let destination: 'train' | 'validation' = isValidation(0) ? 'validation' : 'train'
  let lineOpen = false
  try {
    for await (const chunk of fs.createReadStream(source, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      let runStart = 0
      let at = chunk.indexOf(10)
      while (at !== -1) {
        counts[destination]++
        position++
        const next: 'train' | 'validation' = isValidation(position) ? 'validation' : 'train'
        if (next !== destination) {
          await writeAll(outputs[destination], chunk.subarray(runStart, at + 1))
          runStart = at + 1
          destination = next
        }
        at = chunk.indexOf(10, at + 1)
      }
      lineOpen = runStart < chunk.length && chunk.lastIndexOf(10) !== chunk.length - 1
      await writeAll(outputs[destination], chunk.subarray(runStart))
    }
    if (lineOpen) counts[destination]++
  } finally {
    await Promise.all([endStream(outputs.train), endStream(outputs.validation)])
  }
  return counts
}

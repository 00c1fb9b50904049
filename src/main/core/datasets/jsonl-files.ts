import { once } from 'node:events'
import fs from 'node:fs'
import type { FormattedExample } from '../../../shared/dataset/formatted-example'
import { isChatExample } from '../../../shared/dataset/formatted-example'

const bufferBytes = 4 * 1024 * 1024

const hexDigits = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]
// The short JSON escapes; other bytes below 0x20 become \u00XX, as JSON.stringify writes them.
const shortEscapes: Record<number, number> = { 8: 98, 9: 116, 10: 110, 12: 102, 13: 114, 34: 34, 92: 92 }
const keyPrompt = Buffer.from('{"prompt":')
const keyResponse = Buffer.from(',"response":')
const keyText = Buffer.from('{"text":')
const keyRow = Buffer.from(',"row":')

/**
 * Appends lines to a file through a 4 MiB buffer: each line is encoded into the buffer as it
 * comes (so the string can be collected at once), and full buffers go to the disk while the
 * next rows are parsed. Memory stays at a few buffers whatever the file size.
 */
export class JsonlWriter {
  private readonly stream: fs.WriteStream
  private buffer = Buffer.allocUnsafe(bufferBytes)
  private used = 0
  private scratch = Buffer.allocUnsafe(64 * 1024)
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

  /**
   * Appends one example as `{"prompt":..,"response":..,"row":N}` or `{"text":..,"row":N}`:
   * the same JSON as jsonLine (JSON.stringify), written straight as UTF-8. The string is encoded
   * natively, then only the bytes JSON must escape are rewritten, which is several times faster
   * than JSON.stringify on long text. Lone UTF-16 surrogates (only a broken UTF-16 file has them)
   * become U+FFFD, since UTF-8 cannot hold them.
   */
  addExample(example: FormattedExample, row: number): void {
    const chat = isChatExample(example)
    const first = chat ? example.prompt : example.text
    const second = chat ? example.response : ''
    // Worst case: every character a control character written as \u00XX (6 bytes).
    const worst = (first.length + second.length) * 6 + 64
    if (this.used + worst > this.buffer.length) {
      this.send()
      if (worst > this.buffer.length) this.buffer = Buffer.allocUnsafe(worst)
    }
    this.copy(chat ? keyPrompt : keyText)
    this.writeJsonString(first)
    if (chat) {
      this.copy(keyResponse)
      this.writeJsonString(second)
    }
    this.copy(keyRow)
    this.used += this.buffer.write(String(row), this.used, 'latin1')
    this.buffer[this.used++] = 125
    this.buffer[this.used++] = 10
    this.lines++
  }

  private copy(bytes: Buffer): void {
    bytes.copy(this.buffer, this.used)
    this.used += bytes.length
  }

  private writeJsonString(value: string): void {
    if (this.scratch.length < value.length * 3) this.scratch = Buffer.allocUnsafe(value.length * 3)
    const scratch = this.scratch
    const length = scratch.write(value, 0)
    const out = this.buffer
    let at = this.used
    out[at++] = 34
    for (let i = 0; i < length; i++) {
      const byte = scratch[i] as number
      if (byte >= 32 && byte !== 34 && byte !== 92) {
        out[at++] = byte
        continue
      }
      out[at++] = 92
      const short = shortEscapes[byte]
      if (short !== undefined) out[at++] = short
      else {
        out[at++] = 117
        out[at++] = 48
        out[at++] = 48
        out[at++] = hexDigits[byte >> 4] as number
        out[at++] = hexDigits[byte & 15] as number
      }
    }
    out[at++] = 34
    this.used = at
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

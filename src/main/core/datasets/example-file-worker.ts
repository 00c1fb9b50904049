// The worker thread behind ExampleWriterThread (example-file-writer.ts): JSON-escapes the UTF-8
// bytes of formatted examples and writes train.jsonl / valid.jsonl lines, so the thread that
// parses the CSV never spends time on either.
//
// Why hand-written and not JSON.stringify: the text arrives as raw UTF-8 bytes in transferred
// buffers (no string is ever built here); escaping those bytes in place is what makes the
// worker keep up with the parser. The output is byte for byte what JSON.stringify gives for
// the same text (example-file-writer.test.ts compares them), except that a lone UTF-16
// surrogate, which UTF-8 cannot hold, arrives already replaced by U+FFFD.
import fs from 'node:fs'
import { parentPort } from 'node:worker_threads'

/** Opens a file the next writes go to. */
export type OpenMessage = { type: 'open'; id: number; path: string; flags: 'w' | 'a' }
/**
 * A batch of examples: `bytes[0..used)` holds each example's first and second text back to back;
 * `meta` holds four numbers per example (0 = chat / 1 = text, first's byte length, second's
 * byte length, row); `markup[k]` is the line's `,"markup":[[a,b],…]` member or ''.
 */
export type WriteMessage = { type: 'write'; id: number; bytes: ArrayBuffer; used: number; meta: ArrayBuffer; count: number; markup: string[] }
export type CloseMessage = { type: 'close'; id: number }
export type ExampleWorkerMessage = OpenMessage | WriteMessage | CloseMessage
export type ExampleWorkerReply = { type: 'written'; id: number } | { type: 'closed'; id: number; lines: number } | { type: 'error'; id: number; message: string }

type OpenFile = { fd: number; out: Buffer; used: number; lines: number }

const outBufferBytes = 4 * 1024 * 1024
const hexDigits = Buffer.from('0123456789abcdef', 'latin1')
const needsEscape = new Uint8Array(256)
for (let byte = 0; byte < 32; byte++) needsEscape[byte] = 1
needsEscape[0x22] = 1
needsEscape[0x5c] = 1
// The two-character escapes JSON.stringify uses (\b \t \n \f \r \" \\); every other control byte is \u00XX.
const shortEscape = new Uint8Array(256)
for (const [byte, letter] of [[8, 'b'], [9, 't'], [10, 'n'], [12, 'f'], [13, 'r'], [0x22, '"'], [0x5c, '\\']] as const) shortEscape[byte] = letter.charCodeAt(0)

const keyPrompt = Buffer.from('{"prompt":')
const keyResponse = Buffer.from(',"response":')
const keyText = Buffer.from('{"text":')
const keyRow = Buffer.from(',"row":')
const files = new Map<number, OpenFile>()

function flush(file: OpenFile): void {
  let offset = 0
  while (offset < file.used) offset += fs.writeSync(file.fd, file.out, offset, file.used - offset)
  file.used = 0
}

/** Makes room for `bytes` more in the output buffer, writing out what it holds first if needed. */
function ensure(file: OpenFile, bytes: number): void {
  if (file.used + bytes <= file.out.length) return
  flush(file)
  if (bytes > file.out.length) file.out = Buffer.allocUnsafe(bytes)
}

function copy(file: OpenFile, bytes: Buffer): void {
  bytes.copy(file.out, file.used)
  file.used += bytes.length
}

function writeString(file: OpenFile, source: Buffer, start: number, end: number): void {
  const out = file.out
  let at = file.used
  out[at++] = 0x22
  for (let i = start; i < end; i++) {
    const byte = source[i]!
    if (needsEscape[byte] === 0) {
      out[at++] = byte
      continue
    }
    out[at++] = 0x5c
    const short = shortEscape[byte]!
    if (short !== 0) out[at++] = short
    else {
      out[at++] = 0x75 // u
      out[at++] = 0x30
      out[at++] = 0x30
      out[at++] = hexDigits[byte >> 4]!
      out[at++] = hexDigits[byte & 15]!
    }
  }
  out[at++] = 0x22
  file.used = at
}

function openFile(id: number): OpenFile {
  const file = files.get(id)
  if (!file) throw new Error(`no open file with id ${id}`)
  return file
}

function writeBatch(message: WriteMessage): void {
  const file = openFile(message.id)
  const source = Buffer.from(message.bytes, 0, message.used)
  const meta = new Uint32Array(message.meta)
  let at = 0
  for (let k = 0; k < message.count; k++) {
    const chat = meta[k * 4] === 0
    const first = meta[k * 4 + 1]!
    const second = meta[k * 4 + 2]!
    const markup = message.markup[k] ?? ''
    // Worst case: every byte escaped as \u00XX (6 bytes), plus the keys, the row and the markup.
    ensure(file, (first + second) * 6 + 64 + markup.length)
    copy(file, chat ? keyPrompt : keyText)
    writeString(file, source, at, at + first)
    at += first
    if (chat) {
      copy(file, keyResponse)
      writeString(file, source, at, at + second)
      at += second
      if (markup) file.used += file.out.write(markup, file.used, 'latin1')
    }
    copy(file, keyRow)
    file.used += file.out.write(String(meta[k * 4 + 3]), file.used, 'latin1')
    file.out[file.used++] = 0x7d // }
    file.out[file.used++] = 0x0a
    file.lines++
  }
}

function handle(message: ExampleWorkerMessage): ExampleWorkerReply | null {
  switch (message.type) {
    case 'open':
      files.set(message.id, { fd: fs.openSync(message.path, message.flags), out: Buffer.allocUnsafe(outBufferBytes), used: 0, lines: 0 })
      return null
    case 'write':
      writeBatch(message)
      return { type: 'written', id: message.id }
    case 'close': {
      const file = openFile(message.id)
      flush(file)
      fs.closeSync(file.fd)
      files.delete(message.id)
      return { type: 'closed', id: message.id, lines: file.lines }
    }
  }
}

const port = parentPort
if (port) {
  port.on('message', (message: ExampleWorkerMessage) => {
    try {
      const reply = handle(message)
      if (reply) port.postMessage(reply)
    } catch (error) {
      port.postMessage({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) } satisfies ExampleWorkerReply)
    }
  })
}

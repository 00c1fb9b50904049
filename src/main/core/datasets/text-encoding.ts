import { isUtf8 } from 'node:buffer'
import type { TextEncodingName } from '../../../shared/dataset/types'

/** What the first bytes of a file say about how to read it as text. */
export type EncodingGuess =
  | { kind: 'text'; encoding: TextEncodingName; bomLength: number; withoutBom: boolean }
  | { kind: 'binary'; description: string }

const signatures: { bytes: number[]; description: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], description: 'a ZIP archive (an Excel .xlsx, .docx or .ods file is one): open it in your spreadsheet app and save it as CSV' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], description: 'an old Office document (Excel .xls): open it in your spreadsheet app and save it as CSV' },
  { bytes: [0x25, 0x50, 0x44, 0x46], description: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], description: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], description: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], description: 'a GIF image' },
  { bytes: [0x1f, 0x8b], description: 'a gzip-compressed file: decompress it first' },
  { bytes: [0x50, 0x41, 0x52, 0x31], description: 'a Parquet file' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66], description: 'an SQLite database' },
  { bytes: [0xff, 0xfe, 0x00, 0x00], description: 'UTF-32 text, which LocalTune does not read: save it as UTF-8' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], description: 'UTF-32 text, which LocalTune does not read: save it as UTF-8' }
]

function startsWith(head: Uint8Array, bytes: number[]): boolean {
  return head.length >= bytes.length && bytes.every((byte, i) => head[i] === byte)
}

/**
 * Looks at the start of a file: a byte-order mark decides; without one, UTF-16 shows as NUL
 * bytes at every other position, and a binary file as magic bytes or many control bytes.
 * Plain UTF-8 vs Windows-1252 is decided while reading (see createChunkDecoder).
 */
export function guessEncoding(head: Uint8Array): EncodingGuess {
  for (const signature of signatures) {
    if (startsWith(head, signature.bytes)) return { kind: 'binary', description: signature.description }
  }
  if (startsWith(head, [0xef, 0xbb, 0xbf])) return { kind: 'text', encoding: 'utf-8-bom', bomLength: 3, withoutBom: false }
  if (startsWith(head, [0xff, 0xfe])) return { kind: 'text', encoding: 'utf-16le', bomLength: 2, withoutBom: false }
  if (startsWith(head, [0xfe, 0xff])) return { kind: 'text', encoding: 'utf-16be', bomLength: 2, withoutBom: false }

  const sample = head.subarray(0, Math.min(head.length, 64 * 1024))
  let zeroEven = 0
  let zeroOdd = 0
  let control = 0
  for (let i = 0; i < sample.length; i++) {
    const byte = sample[i] as number
    if (byte === 0) {
      if (i % 2 === 0) zeroEven++
      else zeroOdd++
    }
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20 && byte !== 0x1b)) control++
  }
  const pairs = Math.floor(sample.length / 2)
  if (pairs >= 2) {
    if (zeroOdd >= pairs * 0.4 && zeroEven <= pairs * 0.05) return { kind: 'text', encoding: 'utf-16le', bomLength: 0, withoutBom: true }
    if (zeroEven >= pairs * 0.4 && zeroOdd <= pairs * 0.05) return { kind: 'text', encoding: 'utf-16be', bomLength: 0, withoutBom: true }
  }
  // A stray NUL in a text file is a per-row problem; this many control bytes is not text at all.
  const zeros = zeroEven + zeroOdd
  if (sample.length > 0 && ((zeros > 3 && zeros / sample.length > 0.01) || (control > 3 && control / sample.length > 0.1))) {
    return { kind: 'binary', description: 'not a text file (it has many NUL or control bytes)' }
  }
  return { kind: 'text', encoding: 'utf-8', bomLength: 0, withoutBom: false }
}

// Windows-1252 differs from ISO-8859-1 only in 0x80-0x9F (€, curly quotes, dashes...). Node's
// TextDecoder('windows-1252') decodes those bytes as Latin-1 control characters, so map them here.
// The five bytes Windows-1252 leaves undefined keep their Latin-1 code points, as WHATWG specifies.
const windows1252High =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178'

export function decodeWindows1252(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[\x80-\x9f]/g, (char) => windows1252High[char.charCodeAt(0) - 0x80] as string)
}

/** Length in bytes of the longest prefix that ends on a whole UTF-8 character. */
function utf8Boundary(bytes: Buffer): number {
  const length = bytes.length
  let start = length - 1
  while (start >= 0 && start >= length - 4 && ((bytes[start] as number) & 0xc0) === 0x80) start--
  if (start < 0) return length
  const lead = bytes[start] as number
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
  return start + needed > length ? start : length
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence; -1 when all are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i] as number
    if (lead < 0x80) {
      i++
      continue
    }
    const needed = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1
    if (needed === -1 || i + needed >= bytes.length) return i
    const second = bytes[i + 1] as number
    if (lead === 0xe0 && second < 0xa0) return i
    if (lead === 0xed && second > 0x9f) return i
    if (lead === 0xf0 && second < 0x90) return i
    if (lead === 0xf4 && second > 0x8f) return i
    for (let k = 1; k <= needed; k++) {
      if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i
    }
    i += needed + 1
  }
  return -1
}

export type DecoderNotice =
  | { kind: 'fallback-to-windows-1252'; byteOffset: number }
  | { kind: 'invalid-utf8'; byteOffset: number }

export interface DecodedChunk {
  text: string
  /** How many file bytes `text` stands for (incomplete characters wait for the next chunk). */
  bytes: number
  /** Invalid UTF-8 in this chunk was replaced by U+FFFD. */
  replaced: boolean
}

export interface ChunkDecoder {
  /** Current encoding: 'utf-8' can become 'windows-1252' when the first invalid byte shows up. */
  readonly encoding: TextEncodingName
  decode(bytes: Buffer, final: boolean): DecodedChunk
}

/**
 * Decodes a file chunk by chunk without splitting a character across chunks. For 'utf-8'
 * (no BOM) the bytes are checked as they come: while everything so far was ASCII, the first
 * invalid UTF-8 byte means the file is Windows-1252 (which reads ASCII the same, so nothing
 * already read changes); once real UTF-8 characters were seen, invalid bytes are replaced by
 * U+FFFD and reported instead. `fixed` skips that detection (reading a file whose encoding is known).
 */
export function createChunkDecoder(
  initial: TextEncodingName,
  startOffset: number,
  onNotice: (notice: DecoderNotice) => void = () => {},
  fixed = false
): ChunkDecoder {
  let encoding = initial
  let pending: Buffer = Buffer.alloc(0)
  let offset = startOffset
  let sawMultibyte = fixed
  return {
    get encoding() {
      return encoding
    },
    decode(chunk, final) {
      const bytes = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk
      const chunkStart = offset - pending.length
      let end = bytes.length
      let text: string
      let replaced = false
      if (encoding === 'windows-1252') {
        text = decodeWindows1252(bytes)
      } else if (encoding === 'utf-16le' || encoding === 'utf-16be') {
        end = bytes.length - (bytes.length % 2)
        if (!final && end >= 2) {
          const last = encoding === 'utf-16le' ? bytes.readUInt16LE(end - 2) : bytes.readUInt16BE(end - 2)
          if (last >= 0xd800 && last <= 0xdbff) end -= 2
        }
        const part = bytes.subarray(0, end)
        if (encoding === 'utf-16le') text = part.toString('utf16le')
        else text = Buffer.from(part).swap16().toString('utf16le')
      } else {
        end = final ? bytes.length : utf8Boundary(bytes)
        const part = bytes.subarray(0, end)
        if (isUtf8(part)) {
          text = part.toString('utf8')
          if (text.length !== part.length) sawMultibyte = true
        } else {
          const bad = firstInvalidUtf8(part)
          const before = bad === -1 ? part : part.subarray(0, bad)
          if (!sawMultibyte && before.every((byte) => byte < 0x80) && encoding === 'utf-8') {
            encoding = 'windows-1252'
            end = bytes.length
            text = decodeWindows1252(bytes)
            onNotice({ kind: 'fallback-to-windows-1252', byteOffset: chunkStart + Math.max(bad, 0) })
          } else {
            sawMultibyte = true
            text = part.toString('utf8')
            replaced = true
            onNotice({ kind: 'invalid-utf8', byteOffset: chunkStart + Math.max(bad, 0) })
          }
        }
      }
      pending = end < bytes.length ? Buffer.from(bytes.subarray(end)) : Buffer.alloc(0)
      offset += chunk.length
      return { text, bytes: end, replaced }
    }
  }
}

/** Bytes a decoded string took in the file, for byte offsets of rows (exact except after U+FFFD replacements). */
export function byteLengthIn(encoding: TextEncodingName): (text: string) => number {
  if (encoding === 'windows-1252') return (text) => text.length
  if (encoding === 'utf-16le' || encoding === 'utf-16be') return (text) => text.length * 2
  return (text) => Buffer.byteLength(text, 'utf8')
}

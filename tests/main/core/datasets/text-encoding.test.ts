import { describe, expect, it } from 'vitest'
import { createChunkDecoder, decodeWindows1252, firstInvalidUtf8, guessEncoding } from '../../../../src/main/core/datasets/text-encoding'

function decodeInPieces(encoding: Parameters<typeof createChunkDecoder>[0], bytes: Buffer, pieceSize: number): { text: string; bytes: number } {
  const decoder = createChunkDecoder(encoding, 0)
  let text = ''
  let consumed = 0
  for (let at = 0; at < bytes.length; at += pieceSize) {
    const piece = decoder.decode(bytes.subarray(at, at + pieceSize), false)
    text += piece.text
    consumed += piece.bytes
  }
  const last = decoder.decode(Buffer.alloc(0), true)
  return { text: text + last.text, bytes: consumed + last.bytes }
}

describe('text decoding', () => {
  const sample = 'a€b😀c東京d'

  it('never splits a UTF-8 character across chunks, and accounts for every byte', () => {
    const bytes = Buffer.from(sample, 'utf8')
    for (const size of [1, 2, 3, 5]) expect(decodeInPieces('utf-8', bytes, size)).toEqual({ text: sample, bytes: bytes.length })
  })

  it('never splits a UTF-16 surrogate pair across chunks (LE and BE)', () => {
    const le = Buffer.from(sample, 'utf16le')
    const be = Buffer.from(le).swap16()
    for (const size of [1, 3, 4, 7]) {
      expect(decodeInPieces('utf-16le', le, size).text).toBe(sample)
      expect(decodeInPieces('utf-16be', be, size).text).toBe(sample)
    }
  })

  it('maps Windows-1252 bytes 0x80-0x9F to their characters, not to control codes', () => {
    expect(decodeWindows1252(Buffer.from([0x80, 0x85, 0x91, 0x92, 0x93, 0x94, 0x96, 0x97, 0x99, 0xe9, 0x81]))).toBe('€…‘’“”–—™é\u0081')
  })

  it('switches to Windows-1252 at the first invalid byte while everything so far was ASCII', () => {
    const notices: unknown[] = []
    const decoder = createChunkDecoder('utf-8', 0, (notice) => notices.push(notice))
    expect(decoder.decode(Buffer.from('plain ascii\n'), false).text).toBe('plain ascii\n')
    expect(decoder.decode(Buffer.from([0x93, 0x41, 0x94]), false).text).toBe('“A”')
    expect(decoder.encoding).toBe('windows-1252')
    expect(notices).toEqual([{ kind: 'fallback-to-windows-1252', byteOffset: 12 }])
  })

  it('finds the first invalid UTF-8 byte', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo', 'utf8'))).toBe(-1)
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3, 0xa9, 0xff]))).toBe(3)
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0)
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1)
  })

  it('guesses UTF-16 without a BOM from the NUL pattern', () => {
    expect(guessEncoding(Buffer.from('a,b\n1,2\n', 'utf16le'))).toMatchObject({ kind: 'text', encoding: 'utf-16le', withoutBom: true })
    expect(guessEncoding(Buffer.from('a,b\n1,2\n', 'utf16le').swap16())).toMatchObject({ kind: 'text', encoding: 'utf-16be', withoutBom: true })
    expect(guessEncoding(Buffer.from('a,b\n1,2\n'))).toMatchObject({ kind: 'text', encoding: 'utf-8', bomLength: 0 })
  })
})

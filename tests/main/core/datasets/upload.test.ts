import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { safeUploadName, saveUpload } from '../../../../src/main/core/datasets/upload'

let home: string
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'))
})
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true })
})

function chunks(count: number, size: number): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent === count) this.push(null)
      else this.push(Buffer.alloc(size, 97 + (sent++ % 26)))
    }
  })
}

describe('saveUpload', () => {
  it('streams the upload to <home>/uploads/<unique>/<fileName> with every byte', async () => {
    const saved = await saveUpload(home, 'my data.csv', chunks(64, 64 * 1024))
    expect(path.dirname(path.dirname(saved.path))).toBe(path.join(home, 'uploads'))
    expect(path.basename(saved.path)).toBe('my data.csv')
    expect(saved.sizeBytes).toBe(64 * 64 * 1024)
    const bytes = fs.readFileSync(saved.path)
    expect(bytes.length).toBe(saved.sizeBytes)
    expect(bytes[64 * 1024]).toBe(98)
  })

  it('keeps two uploads of the same name apart', async () => {
    const first = await saveUpload(home, 'data.csv', Readable.from([Buffer.from('a,b\n1,2\n')]))
    const second = await saveUpload(home, 'data.csv', Readable.from([Buffer.from('a,b\n3,4\n')]))
    expect(first.path).not.toBe(second.path)
    expect(fs.readFileSync(first.path, 'utf8')).toBe('a,b\n1,2\n')
  })

  it('accepts a web ReadableStream', async () => {
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('x,y\n'))
        controller.close()
      }
    })
    const saved = await saveUpload(home, 'web.csv', web)
    expect(fs.readFileSync(saved.path, 'utf8')).toBe('x,y\n')
  })

  it('never writes outside its folder, whatever the name', async () => {
    expect(safeUploadName('../../etc/passwd')).toBe('passwd')
    expect(safeUploadName('C:\\Users\\me\\data.csv')).toBe('data.csv')
    expect(safeUploadName('a<b>:c?.csv')).toBe('a_b__c_.csv')
    expect(safeUploadName('..')).toBe('upload.csv')
    expect(safeUploadName('CON.csv')).toBe('_CON.csv')
    const saved = await saveUpload(home, '../escape.csv', Readable.from([Buffer.from('a\n')]))
    expect(saved.path.startsWith(path.join(home, 'uploads') + path.sep)).toBe(true)
  })

  it('leaves nothing behind when the upload fails or is too large', async () => {
    await expect(saveUpload(home, 'big.csv', chunks(10, 1024), { maxBytes: 4096 })).rejects.toThrow(/larger than the upload limit/)
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection reset'))
      }
    })
    await expect(saveUpload(home, 'broken.csv', failing)).rejects.toThrow(/connection reset/)
    expect(fs.readdirSync(path.join(home, 'uploads'))).toEqual([])
  })
})

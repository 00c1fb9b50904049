import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { EventsTail, readCompleteLines } from '../../../../src/main/core/runs/events-tail'
import { makeTempHome } from '../../../helpers/temp-home'

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('readCompleteLines', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  function file(content: string | Buffer): string {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const name = path.join(temp.home, 'events.jsonl')
    fs.writeFileSync(name, content)
    return name
  }

  it('returns whole lines and leaves a partial last line for the next read', () => {
    const name = file('{"a":1}\n{"b":2}\n{"c":')
    const first = readCompleteLines(name, 0)
    expect(first.lines).toEqual(['{"a":1}', '{"b":2}'])
    expect(first.nextOffset).toBe(Buffer.byteLength('{"a":1}\n{"b":2}\n'))
    fs.appendFileSync(name, '3}\n')
    expect(readCompleteLines(name, first.nextOffset)).toEqual({ lines: ['{"c":3}'], nextOffset: fs.statSync(name).size })
  })

  it('counts offsets in bytes, so multi-byte text does not shift later reads', () => {
    const name = file('{"m":"über 😀"}\n')
    const { nextOffset } = readCompleteLines(name, 0)
    expect(nextOffset).toBe(fs.statSync(name).size)
    fs.appendFileSync(name, '{"m":"next"}\n')
    expect(readCompleteLines(name, nextOffset).lines).toEqual(['{"m":"next"}'])
  })

  it('reads a replaced (shorter) file from the start, and a missing file as nothing', () => {
    const name = file('{"a":1}\n')
    expect(readCompleteLines(name, 500)).toEqual({ lines: ['{"a":1}'], nextOffset: 8 })
    expect(readCompleteLines(`${name}.missing`, 3)).toEqual({ lines: [], nextOffset: 3 })
  })
})

describe('EventsTail', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  it('follows a file that does not exist yet, from a stored offset, in order', async () => {
    const temp = makeTempHome()
    const name = path.join(temp.home, 'events.jsonl')
    const seen: string[] = []
    const offsets: number[] = []
    const tail = new EventsTail({ file: name, offset: 0, pollIntervalMs: 200, onLines: (lines, next) => (seen.push(...lines), offsets.push(next)) })
    cleanup = () => (tail.stop(), temp.cleanup())
    tail.start()
    fs.appendFileSync(name, '{"n":1}\n{"n":')
    await waitFor(() => seen.length === 1)
    fs.appendFileSync(name, '2}\n{"n":3}\n')
    await waitFor(() => seen.length === 3)
    expect(seen).toEqual(['{"n":1}', '{"n":2}', '{"n":3}'])
    expect(offsets.at(-1)).toBe(fs.statSync(name).size)
    expect(tail.currentOffset).toBe(fs.statSync(name).size)
  })

  it('starts after the stored offset, so nothing is read twice', async () => {
    const temp = makeTempHome()
    const name = path.join(temp.home, 'events.jsonl')
    fs.writeFileSync(name, '{"n":1}\n')
    const seen: string[] = []
    const tail = new EventsTail({ file: name, offset: 8, pollIntervalMs: 200, onLines: (lines) => seen.push(...lines) })
    cleanup = () => (tail.stop(), temp.cleanup())
    tail.start()
    fs.appendFileSync(name, '{"n":2}\n')
    await waitFor(() => seen.length > 0)
    expect(seen).toEqual(['{"n":2}'])
  })

  it('delivers the same lines again when handling them failed, and reports the failure', async () => {
    const temp = makeTempHome()
    const name = path.join(temp.home, 'events.jsonl')
    fs.writeFileSync(name, '{"n":1}\n')
    const seen: string[] = []
    const errors: unknown[] = []
    let fail = true
    const tail = new EventsTail({
      file: name,
      offset: 0,
      pollIntervalMs: 100,
      onLines: (lines) => {
        if (fail) {
          fail = false
          throw new Error('database is locked')
        }
        seen.push(...lines)
      },
      onError: (error) => errors.push(error)
    })
    cleanup = () => (tail.stop(), temp.cleanup())
    tail.start()
    await waitFor(() => seen.length === 1)
    expect(seen).toEqual(['{"n":1}'])
    expect(errors).toEqual([new Error('database is locked')])
    expect(tail.currentOffset).toBe(8)
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EventPayloadOf } from '../../../../src/shared/contract'
import type { Core } from '../../../../src/main/core/create-core'
import { modelFolderHome } from './model-folder-home'
import { writeSafetensors } from './write-safetensors'

// A model with ~200 MB of weights, copied through the contract: the host's event loop keeps
// running while it copies, progress reaches the total, and a cancelled pack or add leaves nothing
// half-made (the source untouched). The weights are a sparse file: real bytes to copy, none to write first.
const rows = 50_000
const columns = 2048 // BF16: 2 bytes each, ~205 MB in all

type Progress = EventPayloadOf<'models.transfer-progress'>

let core: Core
let home: string
let cleanup: () => void
let hfCache: string
let modelDir: string
let weightsBytes: number
let progress: Progress[]

beforeEach(() => {
  ;({ core, home, cleanup, hfCache, modelDir } = modelFolderHome('big-llama'))
  const weights = path.join(modelDir, 'model.safetensors')
  writeSafetensors(weights, { 'model.embed_tokens.weight': ['BF16', [rows, columns]] }, { truncateDataBy: rows * columns * 2 })
  weightsBytes = fs.statSync(weights).size + rows * columns * 2
  fs.truncateSync(weights, weightsBytes)
  progress = []
  core.events.subscribe((name, payload) => {
    if (name === 'models.transfer-progress') progress.push(payload as Progress)
  })
})

afterEach(() => cleanup())

/** Counts the turns of the event loop: a timer that can fire only while the host is free. */
function loopTicks(): { count(): number; stop(): void } {
  let ticks = 0
  const timer = setInterval(() => (ticks += 1), 1)
  return { count: () => ticks, stop: () => clearInterval(timer) }
}

/** Cancels the transfer at its first progress past zero bytes. */
function cancelOnFirstBytes(transferId: string): void {
  core.events.subscribe((name, payload) => {
    const event = payload as Progress
    if (name === 'models.transfer-progress' && event.transferId === transferId && event.bytesDone > 0) void core.handlers['models.cancel-transfer']({ transferId })
  })
}

describe('models.pack / models.add-packed copy off the event loop', () => {
  it('keeps the event loop turning while ~200 MB copy, and reports progress up to the total', async () => {
    const ticks = loopTicks()
    const ticksAtProgress: number[] = []
    core.events.subscribe((name) => name === 'models.transfer-progress' && ticksAtProgress.push(ticks.count()))
    const usb = path.join(home, 'usb', 'big-llama')
    const packed = await core.handlers['models.pack']({ model: modelDir, outDir: usb, transferId: 'pack-1' })
    ticks.stop()
    const total = weightsBytes + fs.statSync(path.join(modelDir, 'config.json')).size + fs.statSync(path.join(modelDir, 'tokenizer.json')).size
    expect(packed).toEqual({ status: 'done', id: 'big-llama', dir: usb, files: 3, bytes: total })
    expect(fs.statSync(path.join(usb, 'model.safetensors')).size).toBe(weightsBytes)

    expect(progress.every((event) => event.transferId === 'pack-1' && event.action === 'pack' && event.bytesTotal === total)).toBe(true)
    expect(progress.at(-1)).toMatchObject({ bytesDone: total })
    expect(progress.some((event) => event.file === 'model.safetensors' && event.bytesDone > 0 && event.bytesDone < total)).toBe(true)
    // Inside the weights file (after its start, before its end) the timer keeps firing: a copy
    // that held the thread for the file would show one count for all of its events.
    const inside = progress.flatMap((event, index) => (event.file === 'model.safetensors' && index > progress.findIndex((first) => first.file === 'model.safetensors') ? [ticksAtProgress[index]!] : []))
    expect(inside.length).toBeGreaterThan(20)
    expect(inside.at(-1)! - inside[0]!).toBeGreaterThan(5)
  })

  it('a cancelled pack removes the folder it made; a cancelled add leaves no half model in the cache; the source is untouched', async () => {
    const usb = path.join(home, 'usb', 'big-llama')
    cancelOnFirstBytes('pack-2')
    expect(await core.handlers['models.pack']({ model: modelDir, outDir: usb, transferId: 'pack-2' })).toEqual({ status: 'cancelled' })
    expect(fs.existsSync(path.join(home, 'usb'))).toBe(false)
    // Into a folder that was there and empty: the folder stays, empty.
    const empty = path.join(home, 'empty-usb')
    fs.mkdirSync(empty)
    cancelOnFirstBytes('pack-3')
    expect(await core.handlers['models.pack']({ model: modelDir, outDir: empty, transferId: 'pack-3' })).toEqual({ status: 'cancelled' })
    expect(fs.readdirSync(empty)).toEqual([])

    cancelOnFirstBytes('add-1')
    expect(await core.handlers['models.add-packed']({ path: modelDir, id: 'acme/big-llama', transferId: 'add-1' })).toEqual({ status: 'cancelled' })
    expect(fs.existsSync(hfCache)).toBe(false)
    expect(fs.readdirSync(modelDir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json'])
    expect(fs.statSync(path.join(modelDir, 'model.safetensors')).size).toBe(weightsBytes)
    expect(await core.handlers['models.cancel-transfer']({ transferId: 'add-1' })).toEqual({ cancelled: false })
  })
})

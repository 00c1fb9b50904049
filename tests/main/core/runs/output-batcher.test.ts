import { describe, expect, it } from 'vitest'
import { OutputBatcher } from '../../../../src/main/core/runs/output-batcher'

describe('OutputBatcher', () => {
  it('turns a burst of small chunks into one push, in order', async () => {
    const pushes: string[] = []
    const batcher = new OutputBatcher({ intervalMs: 30, onFlush: (data) => pushes.push(data) })
    for (let i = 0; i < 1000; i += 1) batcher.push(`${i}\n`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(pushes).toHaveLength(1)
    expect(pushes[0]).toBe(Array.from({ length: 1000 }, (_, i) => `${i}\n`).join(''))
  })

  it('caps a flood: keeps the newest output, from a line start, and says how much was skipped', () => {
    const pushes: string[] = []
    const batcher = new OutputBatcher({ intervalMs: 10_000, maxBatchChars: 1000, onFlush: (data) => pushes.push(data) })
    for (let i = 0; i < 5000; i += 1) batcher.push(`line ${i}\n`)
    batcher.flush()
    expect(pushes).toHaveLength(1)
    const pushed = pushes[0]!
    const skipped = Number(/\[… (\d+) characters of output skipped/.exec(pushed)?.[1])
    const kept = pushed.slice(pushed.indexOf(']\r\n') + 3)
    expect(kept.length).toBeLessThanOrEqual(1000)
    expect(kept.endsWith('line 4999\n')).toBe(true)
    expect(kept.startsWith('line ')).toBe(true)
    const total = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join('').length
    expect(skipped + kept.length).toBe(total)
  })

  it('sends what is pending on dispose and nothing when there is nothing', () => {
    const pushes: string[] = []
    const batcher = new OutputBatcher({ intervalMs: 10_000, onFlush: (data) => pushes.push(data) })
    batcher.flush()
    batcher.push('last words')
    batcher.dispose()
    expect(pushes).toEqual(['last words'])
  })
})

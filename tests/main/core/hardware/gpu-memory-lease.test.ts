import { afterEach, describe, expect, it, vi } from 'vitest'
import { GpuMemoryLease } from '../../../../src/main/core/hardware/gpu-memory-lease'

describe('GpuMemoryLease', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  function lease() {
    let now = 0
    const started: number[] = []
    let stops = 0
    const watch = new GpuMemoryLease(
      (intervalMs) => {
        started.push(intervalMs)
        return async () => {
          stops += 1
        }
      },
      () => {},
      { intervalMs: 2000, leaseMs: 30_000, now: () => now }
    )
    return { watch, started, stops: () => stops, advance: (ms: number) => (now += ms) }
  }

  it('polls while at least one panel holds a lease, once for all of them', () => {
    const { watch, started, stops } = lease()
    expect(watch.watch('a', true)).toBe(true)
    expect(watch.watch('b', true)).toBe(true)
    expect(started).toEqual([2000])
    expect(watch.watch('a', false)).toBe(true)
    expect(stops()).toBe(0)
    expect(watch.watch('b', false)).toBe(false)
    expect(stops()).toBe(1)
  })

  it('stops by itself when a panel vanished without giving its lease back', async () => {
    vi.useFakeTimers()
    let now = 0
    let stopped = false
    const watch = new GpuMemoryLease(
      () => async () => {
        stopped = true
      },
      () => {},
      { leaseMs: 1000, now: () => now }
    )
    watch.watch('closed-tab', true)
    now = 500
    await vi.advanceTimersByTimeAsync(500)
    expect(watch.watching).toBe(true)
    // A renewal pushes the end out again.
    watch.watch('closed-tab', true)
    now = 1400
    await vi.advanceTimersByTimeAsync(900)
    expect(watch.watching).toBe(true)
    now = 1600
    await vi.advanceTimersByTimeAsync(200)
    expect(watch.watching).toBe(false)
    expect(stopped).toBe(true)
  })

  it('close gives every lease back', async () => {
    const { watch, stops } = lease()
    watch.watch('a', true)
    await watch.close()
    expect(watch.watching).toBe(false)
    expect(stops()).toBe(1)
  })
})

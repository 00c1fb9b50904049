import { describe, expect, it } from 'vitest'
import { channelNames, type ContractHandlers } from '../../../src/shared/contract'

// Type-level checks: `npm run typecheck` fails if a @ts-expect-error line stops being an error.
// @ts-expect-error a handlers object without every channel is a type error
const incomplete: ContractHandlers = {}

describe('contract', () => {
  it('declares every channel once, with a request and a response schema', () => {
    expect(new Set(channelNames).size).toBe(channelNames.length)
    expect(channelNames).toContain('system.doctor')
    void incomplete
  })
})

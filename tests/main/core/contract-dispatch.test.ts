import { describe, expect, it } from 'vitest'
import type { ContractHandlers, DoctorReport } from '../../../src/shared/contract'
import { dispatchContractCall } from '../../../src/main/core/contract-dispatch'
import { UserFacingError } from '../../../src/main/core/user-facing-error'

function handlersReturning(doctor: ContractHandlers['system.doctor']): ContractHandlers {
  return { 'system.doctor': doctor } as ContractHandlers
}

describe('dispatchContractCall', () => {
  it('rejects a payload that breaks the channel schema, naming the field', async () => {
    let called = false
    const handlers = handlersReturning(async () => {
      called = true
      return {} as DoctorReport
    })
    const envelope = await dispatchContractCall(handlers, 'system.doctor', { refresh: 'yes' })
    expect(called).toBe(false)
    expect(envelope).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    expect(envelope.ok ? [] : envelope.error.details).toEqual([expect.stringContaining('refresh')])
  })

  it('rejects an unknown channel', async () => {
    const envelope = await dispatchContractCall(handlersReturning(async () => ({}) as DoctorReport), 'system.format-disk', {})
    expect(envelope).toMatchObject({ ok: false, error: { code: 'unknown_channel' } })
  })

  it('passes a user-facing error through with its details', async () => {
    const envelope = await dispatchContractCall(
      handlersReturning(async () => {
        throw new UserFacingError('The file changed since you opened it.', { code: 'conflict', details: ['data.csv'] })
      }),
      'system.doctor',
      {}
    )
    expect(envelope).toEqual({ ok: false, error: { code: 'conflict', message: 'The file changed since you opened it.', details: ['data.csv'] } })
  })

  it('refuses to send an answer that breaks the response schema', async () => {
    const envelope = await dispatchContractCall(handlersReturning(async () => ({ generatedAt: 1 }) as unknown as DoctorReport), 'system.doctor', {})
    expect(envelope).toMatchObject({ ok: false, error: { code: 'failed' } })
  })
})

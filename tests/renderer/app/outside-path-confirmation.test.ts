import { describe, expect, it } from 'vitest'
import { ContractCallError } from '../../../src/renderer/api/client'
import { outsidePathQuestionAnswered, sendAllowingOutsidePaths } from '../../../src/renderer/app/outside-path-confirmation'

// Stands in for the core: refuses /var/tmp/x unless the request confirms it, as outside-path-check does.
function coreLike(sent: string[][]) {
  return async (confirmedPaths: string[]) => {
    sent.push(confirmedPaths)
    if (!confirmedPaths.includes('/var/tmp/x')) {
      throw new ContractCallError({ code: 'outside_user_folders', message: 'outside', details: ['outDir: write into /var/tmp/x'] })
    }
    return 'written'
  }
}

const answerSoon = (allowed: boolean) => setTimeout(() => outsidePathQuestionAnswered(allowed), 0)

describe('sending a request that names a path outside the user\'s folders', () => {
  it('Cancel: the request is not resent and the error says nothing was done', async () => {
    const sent: string[][] = []
    answerSoon(false)
    await expect(sendAllowingOutsidePaths(coreLike(sent))).rejects.toMatchObject({ code: 'outside_user_folders', message: expect.stringContaining('Not allowed, so nothing was read or written: /var/tmp/x') })
    expect(sent).toEqual([[]])
  })

  it('Allow: resent once with the path confirmed, and later requests carry it without asking again', async () => {
    const sent: string[][] = []
    answerSoon(true)
    await expect(sendAllowingOutsidePaths(coreLike(sent))).resolves.toBe('written')
    expect(sent).toEqual([[], ['/var/tmp/x']])
    await expect(sendAllowingOutsidePaths(coreLike(sent))).resolves.toBe('written')
    expect(sent).toHaveLength(3)
  })

  it('other refusals pass through untouched', async () => {
    const refusal = new ContractCallError({ code: 'not_found', message: 'no such run', details: [] })
    await expect(sendAllowingOutsidePaths(() => Promise.reject(refusal))).rejects.toBe(refusal)
  })
})

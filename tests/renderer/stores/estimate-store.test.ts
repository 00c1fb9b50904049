import { describe, expect, it } from 'vitest'
import { summariseTokenCounts } from '../../../src/shared/estimator'
import { estimateActions, tokenStatsNow } from '../../../src/renderer/stores/estimate-store'

describe('estimate store', () => {
  it('keeps only the token statistics of the count that is current', () => {
    const stats = summariseTokenCounts([10, 20], { approximate: false, method: 'test' })
    const actions = estimateActions()
    actions.tokenCountStarted('old-mapping')
    actions.tokenCountStarted('new-mapping')
    // The older count answers late: it is not shown as the statistics of the new mapping.
    actions.tokenStatsCounted('old-mapping', '/drafts/a/train.jsonl', stats)
    expect(tokenStatsNow()).toEqual({ status: 'counting', forKey: 'new-mapping' })
    actions.tokenCountFailed('old-mapping', 'stale failure', [])
    expect(tokenStatsNow().status).toBe('counting')
    actions.tokenStatsCounted('new-mapping', '/drafts/a/train.jsonl', stats)
    expect(tokenStatsNow()).toMatchObject({ status: 'ready', forKey: 'new-mapping', stats: { maxTokens: 20 } })
  })
})

import type { TokenStats } from '../../../shared/estimator'
import { useTokenStatsState } from '../../stores/estimate-store'
import { tokenStatsRequested } from './token-stats-service'
import { TokenHistogram } from './token-histogram'

/** Token statistics of the training examples with the chosen model's tokenizer, and what the max length cuts. */
export function TokenStatsPanel({ stats, maxLength, truncated }: { stats: TokenStats | null; maxLength: number | null; truncated: number | null }) {
  const state = useTokenStatsState()
  return (
    <section className="panel" aria-labelledby="token-stats-title" data-testid="token-stats">
      <div className="panel-header">
        <h3 id="token-stats-title">Example lengths</h3>
        {stats?.approximate && <span className="badge badge-warn">Approximate</span>}
      </div>
      {!stats && state.status === 'failed' && (
        <div role="alert">
          <p className="error-text">{state.message}</p>
          {state.details.length > 0 && <p className="small muted">{state.details.join(' · ')}</p>}
          <button type="button" className="secondary" onClick={() => void tokenStatsRequested({ retry: true })}>
            Count again
          </button>
        </div>
      )}
      {!stats && state.status !== 'failed' && <p className="muted" role="status">Counting tokens…</p>}
      {stats && (
        <>
          <dl className="stat-row">
            <div>
              <dt>Examples</dt>
              <dd>{stats.exampleCount.toLocaleString('en-US')}</dd>
            </div>
            <div>
              <dt>p50</dt>
              <dd data-testid="tokens-p50">{stats.p50Tokens}</dd>
            </div>
            <div>
              <dt>p95</dt>
              <dd data-testid="tokens-p95">{stats.p95Tokens}</dd>
            </div>
            <div>
              <dt>Longest</dt>
              <dd data-testid="tokens-max">{stats.maxTokens}</dd>
            </div>
            <div>
              <dt>Total tokens</dt>
              <dd>{stats.totalTokens.toLocaleString('en-US')}</dd>
            </div>
          </dl>
          {maxLength !== null && <TokenHistogram stats={stats} maxLength={maxLength} />}
          {maxLength !== null && truncated !== null && (
            <p data-testid="truncated" className={truncated > 0 ? 'warn-text' : undefined}>
              {truncated === 0
                ? `Max length ${maxLength} cuts no example.`
                : `Max length ${maxLength} cuts ${truncated.toLocaleString('en-US')} of ${stats.exampleCount.toLocaleString('en-US')} examples (${((truncated / stats.exampleCount) * 100).toFixed(1)} %): their ends are not trained on.`}
            </p>
          )}
          <p className="small muted">
            {stats.approximate ? 'Approximation: ' : ''}
            {stats.method}
          </p>
        </>
      )}
    </section>
  )
}

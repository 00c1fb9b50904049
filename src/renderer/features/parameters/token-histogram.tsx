import type { TokenStats } from '../../../shared/estimator'

/**
 * How long the training examples are, in tokens, with the chosen max length drawn across:
 * everything right of the line gets cut. Plain SVG: a few dozen bars need no chart library.
 */
export function TokenHistogram({ stats, maxLength }: { stats: TokenStats; maxLength: number }) {
  const width = 560
  const height = 140
  const pad = { left: 36, right: 8, top: 8, bottom: 22 }
  const bins = stats.histogram
  const last = bins[bins.length - 1]
  const xMax = Math.max(last ? last.to : 1, maxLength * 1.05)
  const yMax = Math.max(1, ...bins.map((bin) => bin.count))
  const x = (tokens: number) => pad.left + (tokens / xMax) * (width - pad.left - pad.right)
  const y = (count: number) => height - pad.bottom - (count / yMax) * (height - pad.top - pad.bottom)
  const lineX = x(maxLength)
  return (
    <svg className="token-histogram" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Histogram of example lengths from ${stats.minTokens} to ${stats.maxTokens} tokens; max length ${maxLength} drawn across`}>
      {bins.map((bin) => (
        <rect key={bin.from} className={bin.from >= maxLength ? 'hist-bar hist-cut' : 'hist-bar'} x={x(bin.from)} y={y(bin.count)} width={Math.max(1, x(bin.to) - x(bin.from) - 1)} height={height - pad.bottom - y(bin.count)}>
          <title>{`${bin.from}–${bin.to - 1} tokens: ${bin.count} example${bin.count === 1 ? '' : 's'}`}</title>
        </rect>
      ))}
      <line className="hist-axis" x1={pad.left} x2={width - pad.right} y1={height - pad.bottom} y2={height - pad.bottom} />
      <text className="hist-label" x={pad.left} y={height - 6}>
        0
      </text>
      <text className="hist-label" x={width - pad.right} y={height - 6} textAnchor="end">
        {Math.round(xMax)} tokens
      </text>
      <text className="hist-label" x={pad.left - 4} y={pad.top + 8} textAnchor="end">
        {yMax}
      </text>
      <line className="hist-max-length" x1={lineX} x2={lineX} y1={pad.top} y2={height - pad.bottom} />
      <text className="hist-max-label" x={Math.min(lineX + 4, width - 90)} y={pad.top + 10}>
        max length {maxLength}
      </text>
    </svg>
  )
}

import type { DatasetProblem, DatasetProblemKind } from '../../../shared/dataset/types'
import { formatCount } from './csv-labels'

const severityLabels: Record<DatasetProblem['severity'], string> = { error: 'Error', warning: 'Check', info: 'Note' }

function where(problem: DatasetProblem): string | null {
  const parts = [
    problem.row !== undefined ? `row ${formatCount(problem.row)}` : null,
    problem.line !== undefined ? `line ${formatCount(problem.line)}` : null,
    problem.column !== undefined ? `column "${problem.column}"` : null
  ].filter((part): part is string => part !== null)
  return parts.length > 0 ? parts.join(' · ') : null
}

/**
 * What reading the file found, most serious first, each with where it is. The core keeps the
 * first problems of each kind; the exact totals say how many more there are.
 */
export function ProblemList({ problems, counts }: { problems: DatasetProblem[]; counts: Partial<Record<DatasetProblemKind, number>> }) {
  if (problems.length === 0) return null
  const order = { error: 0, warning: 1, info: 2 } as const
  const sorted = [...problems].sort((a, b) => order[a.severity] - order[b.severity])
  const listed = new Map<DatasetProblemKind, number>()
  for (const problem of problems) listed.set(problem.kind, (listed.get(problem.kind) ?? 0) + 1)
  const unlisted = [...listed.entries()]
    .map(([kind, shown]) => ({ kind, more: (counts[kind] ?? shown) - shown }))
    .filter((entry) => entry.more > 0)
  return (
    <div className="data-problems">
      <h4>What LocalTune noticed</h4>
      <ul aria-label="Problems in the file">
        {sorted.map((problem, index) => (
          <li key={index} className={`data-problem data-problem-${problem.severity}`}>
            <span className="data-problem-severity">{severityLabels[problem.severity]}</span>
            <span>
              {where(problem) && <span className="data-problem-where">{where(problem)}: </span>}
              {problem.message}
            </span>
          </li>
        ))}
      </ul>
      {unlisted.map((entry) => (
        <p key={entry.kind} className="muted small">
          … and {formatCount(entry.more)} more of the kind “{entry.kind}” (the first ones are listed).
        </p>
      ))}
    </div>
  )
}

import type { DatasetProblem, DatasetProblemKind } from '../../../shared/dataset/types'

export type ProblemCounts = Partial<Record<DatasetProblemKind, number>>

/**
 * Collects problems while a file streams by. Counts are exact; only the first `keepPerKind` of
 * each kind are kept with their row and line, so a file with a million ragged rows cannot
 * exhaust memory and the list stays readable.
 */
export class ProblemLog {
  private readonly kept: DatasetProblem[] = []
  private readonly counts: ProblemCounts = {}

  constructor(private readonly keepPerKind = 100) {}

  add(problem: DatasetProblem): void {
    const count = (this.counts[problem.kind] ?? 0) + 1
    this.counts[problem.kind] = count
    if (count <= this.keepPerKind) this.kept.push(problem)
  }

  count(kind: DatasetProblemKind): number {
    return this.counts[kind] ?? 0
  }

  hasErrors(): boolean {
    return this.kept.some((problem) => problem.severity === 'error')
  }

  /** File-wide problems first, then row problems in file order. */
  list(): DatasetProblem[] {
    const fileWide = this.kept.filter((problem) => problem.row === undefined)
    const rows = this.kept.filter((problem) => problem.row !== undefined).sort((a, b) => (a.row as number) - (b.row as number))
    return [...fileWide, ...rows]
  }

  countsByKind(): ProblemCounts {
    return { ...this.counts }
  }
}

import type { DoctorReport, PackageIndexStatus } from '../../../shared/contract'

/**
 * Which way to a training runtime the welcome screen points, when the doctor found none: the
 * set-up where a package index answers pip, a runtime carried on a disk where none does.
 */
export type RuntimeRoute =
  | { kind: 'runtime-found' }
  | { kind: 'checking' }
  | { kind: 'set-up'; detail: string }
  | { kind: 'offline'; detail: string }
  /** pip could not be asked (no pip, too old): both routes, the user knows whether there is a network. */
  | { kind: 'either'; detail: string }

export function runtimeRoute(report: DoctorReport, index: PackageIndexStatus | null): RuntimeRoute {
  const python = report.checks.find((check) => check.id === 'python')
  if (!python || python.level !== 'error') return { kind: 'runtime-found' }
  switch (index?.status) {
    case 'answers':
      return { kind: 'set-up', detail: index.detail }
    case 'no-answer':
      return { kind: 'offline', detail: index.detail }
    case 'unknown':
      return { kind: 'either', detail: index.detail }
    default:
      return { kind: 'checking' }
  }
}

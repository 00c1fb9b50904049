import { useEffect, useState } from 'react'
import type { DoctorReport, PackageIndexStatus } from '../../../shared/contract'
import { invoke } from '../../api/client'
import { runtimeRoute } from './runtime-route'

/**
 * The report answers `checking` while the core asks pip (it does not hold the report for it); the
 * note then waits for the session's one answer (system.package-index, at most ~10 s).
 */
function usePackageIndex(report: DoctorReport): PackageIndexStatus | null {
  const [asked, setAsked] = useState<PackageIndexStatus | null>(null)
  const reported = report.packageIndex
  const waiting = runtimeRoute(report, reported).kind === 'checking'
  useEffect(() => {
    if (!waiting) return
    let current = true
    invoke('system.package-index', {})
      .then((answer) => current && setAsked(answer))
      .catch((error: unknown) => current && setAsked({ status: 'unknown', detail: error instanceof Error ? error.message : String(error) }))
    return () => {
      current = false
    }
  }, [waiting])
  return waiting ? asked ?? reported : reported
}

const OfflineSteps = () => (
  <>
    carry the runtime on a disk instead: on a connected machine run <code>localtune runtime pack --out DIR</code>, then use <strong>Install from a folder or USB disk</strong>{' '}
    below (or <code>localtune runtime install --from DIR</code> here). Models travel the same way: <strong>Pack for another machine</strong> and{' '}
    <strong>Add a model from a folder or disk</strong> on the Model step.
  </>
)

/**
 * When the doctor found no training runtime, the welcome screen says which way to get one: the
 * set-up where a package index answers pip, the offline route (a folder carried from a connected
 * machine) where none does, naming what pip said.
 */
export function OfflineRouteNote({ report }: { report: DoctorReport }) {
  const route = runtimeRoute(report, usePackageIndex(report))
  if (route.kind === 'runtime-found') return null
  return (
    <section className="panel offline-route" aria-labelledby="offline-route-title" data-testid="offline-route" data-route={route.kind}>
      <h3 id="offline-route-title">No training runtime yet</h3>
      {route.kind === 'checking' && <p role="status">Asking whether a package index answers on this machine (at most about 10 seconds)…</p>}
      {route.kind === 'set-up' && (
        <p>
          A package index answers ({route.detail}): set up the runtime with <strong>Set up the training runtime</strong> below; it downloads PyTorch and its packages.
        </p>
      )}
      {route.kind === 'offline' && (
        <p>
          No package index answered ({route.detail}), so the set-up cannot download PyTorch here. Take the offline route: <OfflineSteps />
        </p>
      )}
      {route.kind === 'either' && (
        <p>
          Whether a package index answers is not known ({route.detail}). With a network, use <strong>Set up the training runtime</strong> below; without one, <OfflineSteps />
        </p>
      )}
    </section>
  )
}

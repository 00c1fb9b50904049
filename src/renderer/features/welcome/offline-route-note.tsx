import type { DoctorReport } from '../../../shared/contract'

/**
 * When the doctor found no training runtime (its `python` check is an error, whose fix names the
 * offline route), the welcome screen says plainly what to do on a machine with no network: the
 * set-up from a package index cannot work there, a folder carried from a connected machine can.
 */
export function OfflineRouteNote({ report }: { report: DoctorReport }) {
  const python = report.checks.find((check) => check.id === 'python')
  if (!python || python.level !== 'error') return null
  return (
    <section className="panel offline-route" aria-labelledby="offline-route-title" data-testid="offline-route">
      <h3 id="offline-route-title">No training runtime, and no network?</h3>
      <p>
        Setting up the runtime downloads PyTorch and its packages from a package index. Where no index answers (an offline or firewalled machine), carry the runtime
        on a disk instead: on a connected machine run <code>localtune runtime pack --out DIR</code>, then use <strong>Install from a folder or USB disk</strong> below
        (or <code>localtune runtime install --from DIR</code> here). Models travel the same way: <strong>Pack for another machine</strong> and{' '}
        <strong>Add a model from a folder or disk</strong> on the Model step.
      </p>
    </section>
  )
}

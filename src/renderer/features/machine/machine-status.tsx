import { useEffect } from 'react'
import type { MachineCheck } from '../../../shared/contract'
import { useMachineCheckRequested, useMachineChecking, useMachineError, useMachineReport } from '../../stores/machine-store'

const levelLabel: Record<MachineCheck['level'], string> = { ok: 'Ready', warning: 'Note', error: 'Needs attention' }

function CheckRow({ check }: { check: MachineCheck }) {
  return (
    <li className={`check check-${check.level}`} data-testid={`check-${check.id}`}>
      <span className="check-level">{levelLabel[check.level]}</span>
      <div className="check-body">
        <strong>{check.label}</strong>
        <span className="check-detail">{check.detail}</span>
        {check.fix && <span className="check-fix">What to do: {check.fix}</span>}
      </div>
    </li>
  )
}

/** The machine as the core sees it: GPUs, runtime, database. Proves the whole chain live. */
export function MachineStatus() {
  const report = useMachineReport()
  const checking = useMachineChecking()
  const error = useMachineError()
  const machineCheckRequested = useMachineCheckRequested()

  useEffect(() => {
    if (!report) void machineCheckRequested()
  }, [report, machineCheckRequested])

  return (
    <section className="panel" aria-labelledby="machine-title">
      <header className="panel-header">
        <h3 id="machine-title">This machine</h3>
        <button type="button" onClick={() => void machineCheckRequested(true)} disabled={checking}>
          {checking ? 'Checking…' : 'Check again'}
        </button>
      </header>
      {error && (
        <p role="alert" className="error-text">
          The check failed: {error}
        </p>
      )}
      {!report && !error && <p className="muted">Checking GPUs, the Python runtime and the database…</p>}
      {report && (
        <>
          <ul className="checks" aria-label="Machine checks">
            {report.checks.map((check) => (
              <CheckRow key={check.id} check={check} />
            ))}
          </ul>
          <p className="muted small">
            Checked {new Date(report.generatedAt).toLocaleTimeString()} · data in {report.home.path}
          </p>
        </>
      )}
    </section>
  )
}

import type { HardwareSnapshot } from '../../../shared/hardware/types'
import { formatMemory } from './estimate-labels'
import { hardwareSnapshotRequested } from './hardware-service'

/** One line about the machine the estimate is judged against, with a way to look again. */
export function MachineLine({ snapshot, error }: { snapshot: HardwareSnapshot | null; error: string | null }) {
  return (
    <section className="panel machine-line" aria-label="This machine" data-testid="machine-line">
      <div>
        {error && <p className="error-text" role="alert">{error}</p>}
        {!snapshot && !error && <span className="muted">Detecting GPUs…</span>}
        {snapshot && (
          <>
            {snapshot.gpus.length > 0 ? (
              <ul className="gpu-list" aria-label="GPUs">
                {snapshot.gpus.map((gpu) => (
                  <li key={gpu.index}>
                    <strong>
                      GPU {gpu.index}: {gpu.name}
                    </strong>{' '}
                    <span className="small muted">
                      {formatMemory(gpu.memoryTotalBytes)}
                      {gpu.memoryUsedBytes !== null ? `, ${formatMemory(gpu.memoryUsedBytes)} in use` : ''}
                      {gpu.computeCapability ? ` · compute ${gpu.computeCapability}` : ''}
                      {gpu.driverVersion ? ` · driver ${gpu.driverVersion}` : ''}
                      {gpu.utilizationPercent !== null ? ` · ${gpu.utilizationPercent} % busy` : ''}
                    </span>
                  </li>
                ))}
              </ul>
            ) : null}
            {snapshot.gpuStatus.code !== 'ok' && (
              <p className="small" data-testid="gpu-status">
                {snapshot.gpuStatus.message}
                {snapshot.gpuStatus.action ? ` ${snapshot.gpuStatus.action}` : ''}
              </p>
            )}
            <p className="small muted">
              CPU: {snapshot.cpu.model} ({snapshot.cpu.physicalCores} cores) · RAM {formatMemory(snapshot.memoryTotalBytes)}, {formatMemory(snapshot.memoryAvailableBytes)} available
            </p>
          </>
        )}
      </div>
      <button type="button" className="secondary" onClick={() => void hardwareSnapshotRequested(true)}>
        Detect again
      </button>
    </section>
  )
}

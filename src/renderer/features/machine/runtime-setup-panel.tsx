import { useState } from 'react'
import type { DoctorReport } from '../../../shared/contract'
import { useRuntimeSetup } from '../../stores/runtime-setup-store'
import { RuntimeFolderInstall } from './runtime-folder-install'
import { setUpRuntime } from './runtime-setup-service'

/**
 * Shown when the training runtime is missing or incomplete: sets it up with live output, or
 * explains the offline routes. No dead end: every outcome says what to do next.
 */
export function RuntimeSetupPanel({ report }: { report: DoctorReport }) {
  const setup = useRuntimeSetup()
  const [flavour, setFlavour] = useState<'cuda' | 'cpu'>(report.checks.some((c) => c.id === 'gpus' && c.level === 'ok') ? 'cuda' : 'cpu')
  const [wheelhouse, setWheelhouse] = useState('')
  const [systemSitePackages, setSystemSitePackages] = useState(true)
  const python = report.checks.find((check) => check.id === 'python')
  // The doctor's warning for a torch that cannot use this machine's NVIDIA GPU (a CPU-only build, or a driver too old).
  const gpuUnused = report.python.found && report.python.torchVersion !== null && !report.python.cudaAvailable && report.checks.some((c) => c.id === 'gpus' && c.level === 'ok')
  if (!python || python.level === 'ok') return null

  return (
    <section className="panel" aria-labelledby="runtime-setup-title">
      <header className="panel-header">
        <h3 id="runtime-setup-title">Set up the training runtime</h3>
      </header>
      <p>
        {python.level === 'error'
          ? 'LocalTune trains with a Python runtime (PyTorch; transformers and peft for real models). None was found.'
          : gpuUnused
            ? `This machine has an NVIDIA GPU, but the runtime's torch ${report.python.torchVersion ?? ''} cannot use it, so training would run on the CPU. Set it up with packages for an NVIDIA GPU (CUDA).`
            : 'The runtime can train the built-in demo model. For real models it also needs transformers and peft.'}{' '}
        LocalTune can create one in its home folder from a package index, or install one from a folder carried from a connected machine.
      </p>
      <form
        className="form-grid"
        onSubmit={(event) => {
          event.preventDefault()
          void setUpRuntime({ flavour, wheelhouse: wheelhouse.trim() || null, systemSitePackages })
        }}
      >
        <label>
          Packages for
          <select value={flavour} onChange={(event) => setFlavour(event.target.value as 'cuda' | 'cpu')}>
            <option value="cuda">an NVIDIA GPU (CUDA)</option>
            <option value="cpu">CPU only</option>
          </select>
        </label>
        <label>
          A plain folder of wheels from pip download (optional; no manifest, no checks)
          <input value={wheelhouse} onChange={(event) => setWheelhouse(event.target.value)} placeholder="/path/to/wheelhouse" />
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={systemSitePackages} onChange={(event) => setSystemSitePackages(event.target.checked)} />
          Reuse packages this system already has (e.g. a system PyTorch)
        </label>
        <div>
          <button type="submit" disabled={setup.running}>
            {setup.running && setup.route === 'index' ? 'Setting up…' : 'Set up the runtime'}
          </button>
        </div>
      </form>
      <RuntimeFolderInstall />
      {(setup.running || setup.log) && (
        <pre className="setup-log" aria-label="Set-up output" aria-live="polite">
          {setup.log || 'Starting…'}
        </pre>
      )}
      {setup.outcome && !setup.outcome.ok && (
        <div role="alert" className="error-text">
          <p>The runtime is not set up yet.</p>
          <pre>{setup.outcome.problem}</pre>
        </div>
      )}
      {setup.outcome?.ok && <p className="ok-text">The runtime is ready.</p>}
    </section>
  )
}

import { hostKind } from '../api/client'
import { MachineStatus } from '../features/machine/machine-status'

export function AppShell() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>
          LocalTune <span className="tagline">finetune an open LLM on your own CSV, on your own GPU, offline</span>
        </h1>
        <span className="host-badge" title="How this window reaches LocalTune's core">
          {hostKind() === 'electron' ? 'Desktop' : 'Browser mode'}
        </span>
      </header>
      <main className="app-main">
        <MachineStatus />
      </main>
    </div>
  )
}

import { useEffect, useRef } from 'react'
import { hostKind } from '../api/client'
import { screenTitles, useScreen, useScreenChosen, workSteps, type Screen } from '../stores/navigation-store'
import { OutsidePathDialog } from './outside-path-dialog'
import { screenRegistry } from './screen-registry'
import './register-screens'

function NavButton({ screen, step }: { screen: Screen; step?: number }) {
  const current = useScreen()
  const screenChosen = useScreenChosen()
  const entry = screenRegistry[screen]
  // Registrations are fixed at start-up, so this hook runs in the same order on every render.
  const availability = entry ? entry.useAvailability() : null
  if (!entry || !availability) return null
  return (
    <button
      type="button"
      className={`nav-item${current === screen ? ' nav-current' : ''}`}
      aria-current={current === screen ? 'page' : undefined}
      disabled={!availability.open}
      title={availability.open ? undefined : availability.reason}
      onClick={() => screenChosen(screen)}
    >
      {step !== undefined && <span className="nav-step">{step}</span>}
      {screenTitles[screen]}
    </button>
  )
}

export function AppShell() {
  const screen = useScreen()
  const heading = useRef<HTMLHeadingElement>(null)
  const entry = screenRegistry[screen]

  // Moving to a screen moves keyboard focus to its title, so screen readers and Tab follow.
  useEffect(() => {
    heading.current?.focus()
  }, [screen])

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
      <nav className="app-nav" aria-label="Steps">
        <NavButton screen="welcome" />
        <span className="nav-separator" aria-hidden="true" />
        {workSteps.map((step, index) => (
          <NavButton key={step} screen={step} step={index + 1} />
        ))}
        <span className="nav-separator" aria-hidden="true" />
        <NavButton screen="history" />
      </nav>
      <main className="app-main">
        <h2 className="screen-title" tabIndex={-1} ref={heading}>
          {screenTitles[screen]}
        </h2>
        {entry ? entry.render() : null}
      </main>
      <OutsidePathDialog />
    </div>
  )
}

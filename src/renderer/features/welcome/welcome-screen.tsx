import { MachineStatus } from '../machine/machine-status'

/** The first thing a new user sees: is this machine ready, and what to do next. */
export function WelcomeScreen() {
  return (
    <div className="screen-stack">
      <section className="panel intro">
        <p>
          LocalTune trains an open language model on a CSV of yours, on this machine. Nothing leaves it. Start with your data; LocalTune shows
          exactly what will be trained, whether it fits your GPU and how long it will take, before anything runs.
        </p>
      </section>
      <MachineStatus />
    </div>
  )
}

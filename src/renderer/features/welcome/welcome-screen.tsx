import { DemoPanel } from '../demo/demo-panel'
import { MachineStatus } from '../machine/machine-status'
import { RuntimeSetupPanel } from '../machine/runtime-setup-panel'
import { useMachineReport } from '../../stores/machine-store'
import { OfflineRouteNote } from './offline-route-note'

/** The first thing a new user sees: is this machine ready, and what to do next. */
export function WelcomeScreen() {
  const report = useMachineReport()
  return (
    <div className="screen-stack">
      <section className="panel intro">
        <p>
          LocalTune trains an open language model on a CSV of yours, on this machine. Nothing leaves it. Start with your data; LocalTune shows
          exactly what will be trained, whether it fits your GPU and how long it will take, before anything runs.
        </p>
      </section>
      <DemoPanel />
      <MachineStatus />
      {report && <OfflineRouteNote report={report} />}
      {report && <RuntimeSetupPanel report={report} />}
    </div>
  )
}

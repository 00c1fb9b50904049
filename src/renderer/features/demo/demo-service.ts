import { invoke } from '../../api/client'
import { demoActions } from '../../stores/demo-store'
import { messageOf } from '../runs/run-labels'
import { runStarted } from '../train/live-run-service'

/** Asks the core what the demo would do (rows, model, CPU, time per step) before anything starts. */
export async function loadDemoPlan(): Promise<void> {
  try {
    demoActions().planLoaded(await invoke('runs.demo-plan', {}))
  } catch (error) {
    demoActions().planFailed(messageOf(error))
  }
}

/** The steps the user typed, if they are a whole number the core accepts. */
export function parseDemoSteps(text: string, limit: number): number | null {
  const steps = Number(text.trim())
  return text.trim() !== '' && Number.isInteger(steps) && steps >= 1 && steps <= limit ? steps : null
}

/** Starts the demo run and opens it on the Train screen, where its curve appears within seconds. */
export async function startDemo(): Promise<void> {
  const actions = demoActions()
  const limit = actions.plan?.maxStepsLimit ?? 10_000
  const maxSteps = parseDemoSteps(actions.steps, limit)
  if (maxSteps === null) {
    actions.demoStartFailed(`Steps must be a whole number from 1 to ${limit.toLocaleString('en')}.`)
    return
  }
  actions.demoStartRequested()
  try {
    const run = await invoke('runs.start-demo', { maxSteps })
    actions.demoStarted()
    runStarted(run.id)
  } catch (error) {
    actions.demoStartFailed(messageOf(error))
  }
}

import { useEffect, useId } from 'react'
import { useMachineReport } from '../../stores/machine-store'
import { useDemoPlan, useDemoPlanError, useDemoStartError, useDemoStarting, useDemoSteps, useDemoStepsEdited } from '../../stores/demo-store'
import { formatCount, formatDuration } from '../runs/run-labels'
import { loadDemoPlan, parseDemoSteps, startDemo } from './demo-service'
import './demo-panel.css'

// Loading the tiny model and the data takes a few seconds before the first step.
const startupSeconds = 5

/**
 * "Try the demo": shows what the demo will do (the sample rows, the tiny model, the CPU, a
 * rough time) before one button starts it and opens the Train screen.
 */
export function DemoPanel() {
  const plan = useDemoPlan()
  const planError = useDemoPlanError()
  const steps = useDemoSteps()
  const stepsEdited = useDemoStepsEdited()
  const starting = useDemoStarting()
  const startError = useDemoStartError()
  const report = useMachineReport()
  const stepsId = useId()
  const hintId = useId()

  useEffect(() => {
    void loadDemoPlan()
  }, [])

  const noRuntime = report?.checks.some((check) => check.id === 'python' && check.level === 'error') ?? false
  const stepCount = plan ? parseDemoSteps(steps, plan.maxStepsLimit) : null
  const time = plan && stepCount !== null ? { low: startupSeconds + stepCount * plan.secondsPerStep.low, high: startupSeconds + stepCount * plan.secondsPerStep.high } : null

  return (
    <section className="panel demo-panel" aria-labelledby="demo-title">
      <header className="panel-header">
        <h3 id="demo-title">Try the demo</h3>
        <span className="demo-tag">demo model · not a real LLM</span>
      </header>
      <p>
        See the whole flow in a few minutes without a GPU or a download: LocalTune formats a sample CSV exactly as it would yours and trains a tiny
        built-in model on this computer&apos;s CPU, with the live loss curve, the terminal, stop and resume, then the results and a playground.
        The tiny model learns the <em>format</em> of the answers, not knowledge.
      </p>
      {planError && (
        <p role="alert" className="error-text preline">
          The demo plan could not be made: {planError}
        </p>
      )}
      {plan && (
        <dl className="demo-plan" data-testid="demo-plan">
          <dt>Data</dt>
          <dd>
            {plan.csvName}: {formatCount(plan.rows)} rows → {formatCount(plan.trainExamples)} training and {formatCount(plan.validExamples)} validation
            examples (chat format)
          </dd>
          <dt>Model</dt>
          <dd>
            <code>{plan.model}</code>, {(plan.modelParameters / 1e6).toFixed(1)}M parameters, byte-level, from random weights: a demo model, not a real
            LLM
          </dd>
          <dt>Device</dt>
          <dd>CPU ({plan.cpuCores} cores); no GPU needed</dd>
          <dt>
            <label htmlFor={stepsId}>Steps</label>
          </dt>
          <dd>
            <input
              id={stepsId}
              className="demo-steps"
              inputMode="numeric"
              value={steps}
              aria-describedby={hintId}
              aria-invalid={stepCount === null ? true : undefined}
              onChange={(event) => stepsEdited(event.target.value)}
            />{' '}
            <span id={hintId} className="muted small">
              of {plan.microBatchSize} examples each, up to {plan.maxLength} tokens (1 to {formatCount(plan.maxStepsLimit)})
            </span>
          </dd>
          <dt>Rough time</dt>
          <dd data-testid="demo-time">
            {time ? `about ${formatDuration(time.low)}–${formatDuration(time.high)}` : '—'}{' '}
            <span className="muted small">
              ({plan.secondsPerStep.source === 'measured' ? '' : 'estimated: '}
              {plan.secondsPerStep.basis})
            </span>
          </dd>
        </dl>
      )}
      {noRuntime && <p className="error-text">The demo needs the training runtime: set it up below first.</p>}
      {startError && (
        <p role="alert" className="error-text preline">
          {startError}
        </p>
      )}
      <button type="button" onClick={() => void startDemo()} disabled={!plan || starting || noRuntime}>
        {starting ? 'Starting the demo…' : 'Try the demo'}
      </button>
    </section>
  )
}

import type { AutoParametersResult } from '../../../shared/estimator'
import { autoSafetyMargin } from '../../../shared/estimator'
import { fieldLabels, type ManualFieldKey } from './manual-fields'
import { choiceValueLabel } from './estimate-labels'

const choiceLabels: Record<string, string> = {
  device: 'Device',
  ranks: 'GPUs',
  measured: 'Measured on this machine',
  lora: 'LoRA',
  gradient_checkpointing: 'Gradient checkpointing',
  packing: 'Packing',
  eval_every_steps: 'Evaluate every (steps)'
}

function labelOf(field: string): string {
  return choiceLabels[field] ?? fieldLabels[field as ManualFieldKey] ?? field
}

/** What Auto chose and why, one line each. */
export function AutoChoices({ auto }: { auto: AutoParametersResult }) {
  return (
    <section className="panel" aria-labelledby="auto-choices-title">
      <div className="panel-header">
        <h3 id="auto-choices-title">What Auto chose</h3>
      </div>
      {!auto.withinMargin && (
        <p className="warn-text" role="status">
          Nothing LocalTune tried fits within {Math.round(autoSafetyMargin * 100)} % of the memory: this is the smallest configuration. See the changes suggested beside the estimate.
        </p>
      )}
      <ul className="auto-choices" aria-label="Auto's choices">
        {auto.choices.map((choice) => (
          <li key={choice.field} data-testid={`auto-${choice.field}`}>
            <span className="choice-field">{labelOf(choice.field)}</span>
            <span className="choice-value">{choiceValueLabel(choice.value)}</span>
            <span className="choice-reason">{choice.reason}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}

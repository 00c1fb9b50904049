import { useId, useState } from 'react'
import type { RunDetail } from '../../../shared/contract'
import { ModalDialog } from '../../app/modal-dialog'
import { usePendingRunAction, useRunActionError } from '../../stores/live-run-store'
import { runAgainWithChanges } from './live-run-service'
import { fieldsFromParams, paramsPatchFrom, type RunAgainErrors, type RunAgainFields } from './run-again-form'

const fieldLabels: Array<{ key: keyof RunAgainFields; label: string; hint: string }> = [
  { key: 'learningRate', label: 'Learning rate', hint: 'Lower it when the loss jumps around or rises.' },
  { key: 'epochs', label: 'Epochs', hint: 'Passes over the training examples (max steps, when set, wins).' },
  { key: 'maxSteps', label: 'Max steps', hint: 'Empty: as many steps as the epochs need.' },
  { key: 'microBatchSize', label: 'Micro batch size', hint: 'Examples per step; lower it when memory runs out.' },
  { key: 'maxLength', label: 'Max length (tokens)', hint: 'Longer examples are cut to this.' }
]

function RunAgainForm({ run, onDone }: { run: RunDetail; onDone(): void }) {
  const [fields, setFields] = useState<RunAgainFields>(() => fieldsFromParams(run.config.params))
  const [errors, setErrors] = useState<RunAgainErrors>({})
  const pending = usePendingRunAction()
  const actionError = useRunActionError()
  const formId = useId()

  return (
    <form
      className="form-grid"
      noValidate
      onSubmit={(event) => {
        event.preventDefault()
        const { patch, errors: found } = paramsPatchFrom(fields, run.config.params)
        setErrors(found)
        if (Object.keys(found).length > 0) return
        void runAgainWithChanges(patch).then((started) => {
          if (started) onDone()
        })
      }}
    >
      <p className="muted small">Same data, model and method as run {run.id}; the new run gets its own folder and curve.</p>
      {fieldLabels.map(({ key, label, hint }) => (
        <div key={key} className="form-field">
          <label htmlFor={`${formId}-${key}`}>{label}</label>
          <input
            id={`${formId}-${key}`}
            inputMode={key === 'learningRate' ? 'decimal' : 'numeric'}
            value={fields[key]}
            aria-invalid={errors[key] ? true : undefined}
            aria-describedby={`${formId}-${key}-hint`}
            onChange={(event) => {
              const value = event.target.value
              setFields((current) => ({ ...current, [key]: value }))
            }}
          />
          <span id={`${formId}-${key}-hint`} className={errors[key] ? 'error-text small' : 'muted small'}>
            {errors[key] ?? hint}
          </span>
        </div>
      ))}
      {actionError && (
        <p role="alert" className="error-text preline">
          {actionError}
        </p>
      )}
      <div className="button-row">
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" disabled={pending !== null}>
          {pending === 'run-again' ? 'Starting…' : 'Start the new run'}
        </button>
      </div>
    </form>
  )
}

/** "Run again with changes": a new run with some params changed, which then opens here. */
export function RunAgainButton({ run }: { run: RunDetail }) {
  const [open, setOpen] = useState(false)
  return (
    <>
      <button type="button" className="secondary" onClick={() => setOpen(true)}>
        Run again with changes…
      </button>
      <ModalDialog open={open} title="Run again with changes" onClose={() => setOpen(false)}>
        <RunAgainForm run={run} onDone={() => setOpen(false)} />
      </ModalDialog>
    </>
  )
}

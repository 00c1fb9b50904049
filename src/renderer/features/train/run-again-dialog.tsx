import { useEffect, useId, useMemo, useState } from 'react'
import type { RunDetail } from '../../../shared/contract'
import { ModalDialog } from '../../app/modal-dialog'
import { useHardwareSnapshot } from '../../stores/hardware-store'
import { usePendingRunAction, useRunActionError } from '../../stores/live-run-store'
import { hardwareSnapshotRequested } from '../parameters/hardware-service'
import { runAgainWithChanges } from './live-run-service'
import { fieldsFromRun, runAgainDevices, runAgainRequestFrom, type RunAgainErrors, type RunAgainFields } from './run-again-form'
import { trainingMethodChoices } from '../../../shared/run-config'

type NumberKey = 'learningRate' | 'epochs' | 'maxSteps' | 'microBatchSize' | 'maxLength'

const numberFields: Array<{ key: NumberKey; label: string; hint: string }> = [
  { key: 'learningRate', label: 'Learning rate', hint: 'Lower it when the loss jumps around or rises.' },
  { key: 'epochs', label: 'Epochs', hint: 'Passes over the training examples (max steps, when set, wins).' },
  { key: 'maxSteps', label: 'Max steps', hint: 'Empty: as many steps as the epochs need.' },
  { key: 'microBatchSize', label: 'Micro batch size', hint: 'Examples per step; lower it when memory runs out.' },
  { key: 'maxLength', label: 'Max length (tokens)', hint: 'Longer examples are cut to this.' }
]

function Hint({ id, error, hint }: { id: string; error: string | undefined; hint: string }) {
  return (
    <span id={id} className={error ? 'error-text small' : 'muted small'}>
      {error ?? hint}
    </span>
  )
}

function RunAgainForm({ run, onDone }: { run: RunDetail; onDone(): void }) {
  const [fields, setFields] = useState<RunAgainFields>(() => fieldsFromRun(run.config, run.device))
  const [errors, setErrors] = useState<RunAgainErrors>({})
  const pending = usePendingRunAction()
  const actionError = useRunActionError()
  const snapshot = useHardwareSnapshot()
  const formId = useId()
  const devices = useMemo(() => runAgainDevices(snapshot, run.device), [snapshot, run.device])
  const edit = <K extends keyof RunAgainFields>(key: K, value: RunAgainFields[K]) => setFields((current) => ({ ...current, [key]: value }))
  const describedBy = (key: keyof RunAgainFields) => `${formId}-${key}-hint`

  // The devices come from the hardware snapshot the Parameters screen uses; a run opened from
  // History may not have one yet.
  useEffect(() => {
    if (!snapshot) void hardwareSnapshotRequested()
  }, [snapshot])

  return (
    <form
      className="form-grid"
      noValidate
      onSubmit={(event) => {
        event.preventDefault()
        const { patch, changes, errors: found } = runAgainRequestFrom(fields, { config: run.config, deviceKey: run.device, demo: run.demo }, devices)
        setErrors(found)
        if (Object.keys(found).length > 0) return
        void runAgainWithChanges(patch, changes).then((started) => {
          if (started) onDone()
        })
      }}
    >
      <p className="muted small">Same data and model as run {run.id}; the new run gets its own folder and curve.</p>
      {numberFields.map(({ key, label, hint }) => (
        <div key={key} className="form-field">
          <label htmlFor={`${formId}-${key}`}>{label}</label>
          <input
            id={`${formId}-${key}`}
            inputMode={key === 'learningRate' ? 'decimal' : 'numeric'}
            value={fields[key]}
            aria-invalid={errors[key] ? true : undefined}
            aria-describedby={describedBy(key)}
            onChange={(event) => edit(key, event.target.value)}
          />
          <Hint id={describedBy(key)} error={errors[key]} hint={hint} />
        </div>
      ))}
      <div className="form-field">
        <label htmlFor={`${formId}-method`}>Method</label>
        <select id={`${formId}-method`} value={fields.method} aria-invalid={errors.method ? true : undefined} aria-describedby={describedBy('method')} onChange={(event) => edit('method', event.target.value as RunAgainFields['method'])}>
          {trainingMethodChoices.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
        <Hint id={describedBy('method')} error={errors.method} hint="QLoRA needs an NVIDIA GPU; LoRA trains anywhere." />
      </div>
      <div className="form-field">
        <label htmlFor={`${formId}-precision`}>Precision</label>
        <select id={`${formId}-precision`} value={fields.precision} aria-invalid={errors.precision ? true : undefined} aria-describedby={describedBy('precision')} onChange={(event) => edit('precision', event.target.value as RunAgainFields['precision'])}>
          <option value="auto">auto (bf16 where supported, fp32 on CPU)</option>
          <option value="bf16">bf16</option>
          <option value="fp16">fp16</option>
          <option value="fp32">fp32</option>
        </select>
        <Hint id={describedBy('precision')} error={errors.precision} hint="fp32 when half precision failed (NaN loss, or no bf16 on this GPU)." />
      </div>
      <div className="form-field">
        <label htmlFor={`${formId}-device`}>Device</label>
        <select id={`${formId}-device`} value={fields.deviceKey} aria-invalid={errors.deviceKey ? true : undefined} aria-describedby={describedBy('deviceKey')} onChange={(event) => edit('deviceKey', event.target.value)}>
          {devices.map((device) => (
            <option key={device.key} value={device.key}>
              {device.label}
            </option>
          ))}
        </select>
        <Hint id={describedBy('deviceKey')} error={errors.deviceKey} hint="One run per device at a time; others wait in its queue." />
      </div>
      {fields.method !== 'full' && (
        <label className="toggle-field">
          <input type="checkbox" checked={fields.merge} onChange={(event) => edit('merge', event.target.checked)} />
          <span>Also save a merged model (base + adapter, loads without peft)</span>
        </label>
      )}
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

/** "Run again with changes": a new run with some settings changed, which then opens here. */
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

import { useId, type ReactNode } from 'react'
import type { DeviceTarget } from '../../../shared/estimator'
import { useParametersActions } from '../../stores/parameters-store'
import { deviceKeyOf } from './estimate-view'
import { fieldLabels, type ManualFieldKey, type ManualFields, type NumericFieldKey } from './manual-fields'
import { trainingMethodChoices } from '../../../shared/run-config'

type Errors = Partial<Record<ManualFieldKey, string>>

function Field({ label, error, hint, children }: { label: string; error?: string | undefined; hint?: string; children: (ids: { inputId: string; describedBy: string | undefined }) => ReactNode }) {
  const inputId = useId()
  const errorId = `${inputId}-error`
  const hintId = `${inputId}-hint`
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined
  return (
    <div className={`form-field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={inputId}>{label}</label>
      {children({ inputId, describedBy })}
      {hint && (
        <span id={hintId} className="small muted">
          {hint}
        </span>
      )}
      {error && (
        <span id={errorId} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  )
}

function NumberField({ field, fields, errors, hint, disabled }: { field: NumericFieldKey; fields: ManualFields; errors: Errors; hint?: string; disabled?: boolean }) {
  const { numberEdited } = useParametersActions()
  return (
    <Field label={fieldLabels[field]} error={errors[field]} {...(hint ? { hint } : {})}>
      {({ inputId, describedBy }) => (
        <input
          id={inputId}
          name={field}
          inputMode="decimal"
          autoComplete="off"
          value={fields.numbers[field]}
          disabled={disabled}
          aria-invalid={errors[field] ? true : undefined}
          aria-describedby={describedBy}
          onChange={(event) => numberEdited(field, event.target.value)}
        />
      )}
    </Field>
  )
}

function SelectField<T extends string>({ field, label, value, options, errors, onChange }: { field: ManualFieldKey | 'device'; label: string; value: T; options: ReadonlyArray<{ value: T; label: string }>; errors: Errors; onChange(value: T): void }) {
  const error = field === 'device' ? undefined : errors[field]
  return (
    <Field label={label} error={error}>
      {({ inputId, describedBy }) => (
        <select id={inputId} name={field} value={value} aria-invalid={error ? true : undefined} aria-describedby={describedBy} onChange={(event) => onChange(event.target.value as T)}>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  )
}

function Toggle({ label, checked, hint, onChange }: { label: string; checked: boolean; hint: string; onChange(checked: boolean): void }) {
  return (
    <label className="toggle-field">
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      <span>
        {label} <span className="small muted">{hint}</span>
      </span>
    </label>
  )
}

/** Manual: every parameter, validated as typed; each message names the field and what to enter. */
export function ManualForm({ fields, errors, devices, deviceKey }: { fields: ManualFields; errors: Errors; devices: DeviceTarget[]; deviceKey: string }) {
  const { choiceEdited, deviceChosen } = useParametersActions()
  const lora = fields.method !== 'full'
  const errorCount = Object.keys(errors).length
  return (
    <section className="panel" aria-labelledby="manual-title">
      <div className="panel-header">
        <h3 id="manual-title">Manual parameters</h3>
        {errorCount > 0 && (
          <span className="error-text small" role="status">
            {errorCount} field{errorCount === 1 ? '' : 's'} to fix
          </span>
        )}
      </div>
      <form className="manual-form" onSubmit={(event) => event.preventDefault()} noValidate>
        <fieldset>
          <legend>Method</legend>
          {devices.length > 1 && (
            <SelectField field="device" label="Device" value={deviceKey} options={devices.map((device) => ({ value: deviceKeyOf(device), label: device.label }))} errors={errors} onChange={(key) => deviceChosen(key)} />
          )}
          <SelectField
            field="method"
            label={fieldLabels.method}
            value={fields.method}
            options={trainingMethodChoices}
            errors={errors}
            onChange={(value) => choiceEdited('method', value)}
          />
          <SelectField
            field="precision"
            label={fieldLabels.precision}
            value={fields.precision}
            options={[
              { value: 'auto', label: 'auto (bf16 where supported, fp32 on CPU)' },
              { value: 'bf16', label: 'bf16' },
              { value: 'fp16', label: 'fp16' },
              { value: 'fp32', label: 'fp32' }
            ]}
            errors={errors}
            onChange={(value) => choiceEdited('precision', value)}
          />
          {fields.method === 'full' && (
            <SelectField
              field="full_weights"
              label={fieldLabels.full_weights}
              value={fields.full_weights}
              options={[
                { value: 'fp32', label: 'fp32 master weights (safest updates; 16 B per parameter with AdamW)' },
                { value: 'bf16', label: 'pure bf16 (half the memory; updates under ~1/256 of a weight round away)' }
              ]}
              errors={errors}
              onChange={(value) => choiceEdited('full_weights', value)}
            />
          )}
        </fieldset>
        <fieldset>
          <legend>Batches and length</legend>
          <NumberField field="max_length" fields={fields} errors={errors} />
          <NumberField field="micro_batch_size" fields={fields} errors={errors} />
          <NumberField field="gradient_accumulation_steps" fields={fields} errors={errors} />
          <NumberField field="epochs" fields={fields} errors={errors} />
          <NumberField field="max_steps" fields={fields} errors={errors} hint="Empty: train for the epochs above." />
          <Toggle label="Gradient checkpointing" hint="less memory, about a third slower" checked={fields.gradient_checkpointing} onChange={(value) => choiceEdited('gradient_checkpointing', value)} />
          <Toggle label="Packing" hint="concatenate examples into full rows" checked={fields.packing} onChange={(value) => choiceEdited('packing', value)} />
        </fieldset>
        <fieldset>
          <legend>Optimizer</legend>
          <NumberField field="learning_rate" fields={fields} errors={errors} />
          <SelectField
            field="scheduler"
            label={fieldLabels.scheduler}
            value={fields.scheduler}
            options={[
              { value: 'cosine', label: 'cosine' },
              { value: 'linear', label: 'linear' },
              { value: 'constant', label: 'constant' }
            ]}
            errors={errors}
            onChange={(value) => choiceEdited('scheduler', value)}
          />
          <NumberField field="warmup_steps" fields={fields} errors={errors} />
          <NumberField field="weight_decay" fields={fields} errors={errors} />
        </fieldset>
        <fieldset disabled={!lora}>
          <legend>LoRA{lora ? '' : ' (not used by full finetuning)'}</legend>
          <NumberField field="lora_r" fields={fields} errors={errors} />
          <NumberField field="lora_alpha" fields={fields} errors={errors} />
          <NumberField field="lora_dropout" fields={fields} errors={errors} />
          <Field label={fieldLabels.lora_target_modules} error={errors.lora_target_modules} hint="all-linear, or names such as q_proj, v_proj">
            {({ inputId, describedBy }) => (
              <input
                id={inputId}
                name="lora_target_modules"
                value={fields.lora_target_modules}
                spellCheck={false}
                aria-invalid={errors.lora_target_modules ? true : undefined}
                aria-describedby={describedBy}
                onChange={(event) => choiceEdited('lora_target_modules', event.target.value)}
              />
            )}
          </Field>
        </fieldset>
        <fieldset>
          <legend>Evaluation and checkpoints</legend>
          <NumberField field="eval_every_steps" fields={fields} errors={errors} />
          <NumberField field="save_every_steps" fields={fields} errors={errors} />
          <NumberField field="seed" fields={fields} errors={errors} />
        </fieldset>
      </form>
    </section>
  )
}

import type { DatasetMode } from '../../../shared/dataset/mapping'
import type { MappingSuggestion } from '../../../shared/dataset/mapping-suggestion'
import { useCheckedRows, useConfirmedMapping, useDatasetDraftActions, useDraftDataset } from '../../stores/dataset-draft-store'
import {
  useCsvInspection,
  useCsvPreview,
  useDatasetIntakeActions,
  useMappingDraft,
  useMappingEdited,
  useRowCheck,
  useRowCheckError
} from '../../stores/dataset-intake-store'
import { plural } from './csv-labels'
import { mappingFromDraft, missingChoices, repeatedColumns, sameMapping, type MappingDraft } from './mapping-draft'
import { mappingConfirmed } from './mapping-service'
import { TextFormatChoice } from './text-format-choice'

const confidenceLabels: Record<MappingSuggestion['confidence'], string> = {
  high: 'LocalTune is confident',
  medium: 'LocalTune is fairly sure',
  low: 'a guess',
  none: 'no suggestion'
}

function ColumnSelect({
  label,
  value,
  columns,
  optional,
  noneLabel,
  onChange
}: {
  label: string
  value: string
  columns: string[]
  optional: boolean
  noneLabel?: string
  onChange(value: string): void
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(event) => onChange(event.currentTarget.value)}>
        <option value="">{optional ? (noneLabel ?? '(none)') : 'Choose a column…'}</option>
        {columns.map((column) => (
          <option key={column} value={column}>
            {column}
          </option>
        ))}
      </select>
    </label>
  )
}

function SuggestionBox({ suggestion, edited, onUse }: { suggestion: MappingSuggestion; edited: boolean; onUse(): void }) {
  return (
    <div className="data-suggestion" aria-label="Suggested mapping">
      <p>
        <strong>Suggested mapping</strong> <span className="muted small">({confidenceLabels[suggestion.confidence]}, from the column names)</span>
      </p>
      <ul>
        {suggestion.explanation.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      {edited && suggestion.mapping && (
        <button type="button" className="secondary" onClick={onUse}>
          Back to the suggestion
        </button>
      )}
    </div>
  )
}

/** Which columns feed which part of a training example, starting from LocalTune's suggestion. */
export function MappingWizard() {
  const inspection = useCsvInspection()
  const preview = useCsvPreview()
  const dataset = useDraftDataset()
  const draft = useMappingDraft()
  const edited = useMappingEdited()
  const checking = useRowCheck()
  const checkError = useRowCheckError()
  const confirmed = useConfirmedMapping()
  const checkedRows = useCheckedRows()
  const { mappingDraftChanged, suggestionAccepted } = useDatasetIntakeActions()
  const { mappingUnconfirmed } = useDatasetDraftActions()
  const layout = inspection?.layout ?? preview?.layout
  if (!layout) return null
  const columns = layout.columns
  const suggestion = inspection?.suggestion ?? preview?.suggestion ?? null
  const mapping = mappingFromDraft(draft)
  const isConfirmed = confirmed !== null && sameMapping(mapping, confirmed)
  const missing = missingChoices(draft)
  const repeated = mapping ? repeatedColumns(mapping) : []

  const change = (patch: Partial<MappingDraft>) => {
    mappingDraftChanged(patch)
    // What the wizard shows is no longer what was confirmed: it has to be confirmed (and checked) again.
    if (confirmed && !sameMapping(mappingFromDraft({ ...draft, ...patch }), confirmed)) mappingUnconfirmed()
  }
  const modeChosen = (mode: DatasetMode) => change({ mode })

  return (
    <section className="panel" aria-labelledby="data-mapping-title">
      <header className="panel-header">
        <h3 id="data-mapping-title">Mapping: columns → training example</h3>
      </header>
      {suggestion && (
        <SuggestionBox
          suggestion={suggestion}
          edited={edited && !sameMapping(mapping, suggestion.mapping)}
          onUse={() => {
            suggestionAccepted(suggestion)
            if (confirmed && !sameMapping(suggestion.mapping, confirmed)) mappingUnconfirmed()
          }}
        />
      )}
      <fieldset className="data-fieldset">
        <legend>Mode</legend>
        <label className="checkbox">
          <input type="radio" name="data-mode" checked={draft.mode === 'chat'} onChange={() => modeChosen('chat')} />
          Chat: a prompt (with optional context) and the response the model learns to write
        </label>
        <label className="checkbox">
          <input type="radio" name="data-mode" checked={draft.mode === 'generic'} onChange={() => modeChosen('generic')} />
          Generic: one column is the whole training text
        </label>
      </fieldset>
      <div className="data-mapping-grid">
        {draft.mode === 'chat' ? (
          <>
            <ColumnSelect label="Prompt (the instruction or question)" value={draft.prompt} columns={columns} optional={false} onChange={(prompt) => change({ prompt })} />
            <ColumnSelect label="Context (optional extra input)" value={draft.context} columns={columns} optional onChange={(context) => change({ context })} />
            <ColumnSelect label="Response (what the model learns to write)" value={draft.response} columns={columns} optional={false} onChange={(response) => change({ response })} />
            <ColumnSelect
              label="prompt_start column (optional per-row preamble)"
              value={draft.promptStart}
              columns={columns}
              optional
              noneLabel="(none: use the preamble below)"
              onChange={(promptStart) => change({ promptStart })}
            />
          </>
        ) : (
          <ColumnSelect label="Text (each row is one training text)" value={draft.text} columns={columns} optional={false} onChange={(text) => change({ text })} />
        )}
      </div>
      {repeated.length > 0 && (
        <p className="data-warning">
          The column {repeated.map((name) => `“${name}”`).join(', ')} is used for more than one part. That is allowed, but rarely meant.
        </p>
      )}
      {draft.mode === 'chat' ? <TextFormatChoice hasPromptStartColumn={draft.promptStart !== ''} /> : <p className="muted small">In generic mode the whole text carries loss.</p>}
      <div className="data-confirm">
        <button type="button" onClick={() => void mappingConfirmed()} disabled={!dataset || !mapping || checking || isConfirmed}>
          Use this mapping
        </button>
        <span role="status" className="small">
          {!dataset
            ? 'You can confirm once the whole file is read.'
            : missing.length > 0
              ? `Choose ${missing.join(' and ')}.`
              : checking
                ? 'Checking every row against this mapping…'
                : isConfirmed && checkedRows
                  ? `Confirmed · ${plural(checkedRows.trainable, 'row')} can train`
                  : 'Not confirmed yet: check the preview below, then confirm.'}
        </span>
      </div>
      {checkError && (
        <div role="alert" className="data-error">
          <p>{checkError.message}</p>
          {checkError.details.length > 0 && (
            <ul>
              {checkError.details.map((detail) => (
                <li key={detail}>{detail}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  )
}

import { useState } from 'react'
import { defaultPromptStartWithContext, defaultPromptStartWithoutContext } from '../../../shared/dataset/training-format'
import {
  useDatasetDraftActions,
  useDraftChatTemplate,
  usePromptStartText,
  useTrainOnResponseOnly
} from '../../stores/dataset-draft-store'
import type { IntakeError } from '../../stores/dataset-intake-store'
import { useChosenModel } from '../../stores/model-choice-store'
import { intakeErrorOf } from './csv-intake-service'
import { chatTemplateFormatChosen } from './mapping-service'

/** Which text a chat row becomes: LocalTune's format or the chosen model's own chat template. */
function FormatStyle() {
  const model = useChosenModel()
  const chatTemplate = useDraftChatTemplate()
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<IntakeError | null>(null)
  const offered = model && model.hasChatTemplate && model.path ? model : null
  const choose = async (next: typeof offered) => {
    setLoading(true)
    setError(null)
    try {
      await chatTemplateFormatChosen(next)
    } catch (failure) {
      setError(intakeErrorOf(failure))
    } finally {
      setLoading(false)
    }
  }
  return (
    <fieldset className="data-fieldset">
      <legend>Text format</legend>
      <label className="checkbox">
        <input type="radio" name="data-format-style" checked={!chatTemplate} onChange={() => void choose(null)} disabled={loading} />
        LocalTune format (### Instruction / ### Input / ### Response)
      </label>
      {offered && (
        <label className="checkbox">
          <input
            type="radio"
            name="data-format-style"
            checked={chatTemplate !== null && chatTemplate.modelPath === offered.path}
            onChange={() => void choose(offered)}
            disabled={loading}
          />
          {offered.displayName}’s own chat template
        </label>
      )}
      {!offered && (
        <p className="muted small">
          {model
            ? `${model.displayName} has no chat template of its own, so rows use the LocalTune format.`
            : 'After you choose a model that has its own chat template, you can format the rows with it here.'}
        </p>
      )}
      {loading && <p className="muted small">Reading the model’s chat template…</p>}
      {chatTemplate && chatTemplate.modelPath !== model?.path && (
        <p role="alert" className="data-warning">
          The chat template was read from {chatTemplate.displayName}, which is no longer the chosen model. Choose the text format again.
        </p>
      )}
      {error && (
        <p role="alert" className="data-error">
          {error.message}
        </p>
      )}
    </fieldset>
  )
}

/** Chat mode's text options; they change the preview at once and need no new row check. */
export function TextFormatChoice({ hasPromptStartColumn }: { hasPromptStartColumn: boolean }) {
  const promptStartText = usePromptStartText()
  const trainOnResponseOnly = useTrainOnResponseOnly()
  const chatTemplate = useDraftChatTemplate()
  const { promptStartTextChanged, trainOnResponseOnlyChanged } = useDatasetDraftActions()
  return (
    <div className="data-format">
      <FormatStyle />
      <label className="data-prompt-start">
        {hasPromptStartColumn ? 'Preamble (prompt_start) for rows whose prompt_start cell is empty' : 'Preamble (prompt_start) for every row'}
        <textarea
          rows={2}
          value={promptStartText}
          placeholder={chatTemplate ? 'Empty: no system message' : 'Empty: LocalTune’s built-in preamble (below)'}
          onChange={(event) => promptStartTextChanged(event.currentTarget.value)}
        />
      </label>
      {promptStartText.trim() === '' && !chatTemplate && (
        <div className="muted small data-default-preamble">
          <p>
            Built-in preamble for rows with a context: <q>{defaultPromptStartWithContext}</q>
          </p>
          <p>
            and for rows without: <q>{defaultPromptStartWithoutContext}</q>
          </p>
        </div>
      )}
      <label className="checkbox">
        <input type="checkbox" role="switch" checked={trainOnResponseOnly} onChange={(event) => trainOnResponseOnlyChanged(event.currentTarget.checked)} />
        Train on the response only
      </label>
      <p className="muted small">
        {trainOnResponseOnly
          ? 'The model reads the prompt but learns only to write the response: the prompt carries no loss.'
          : 'The model also learns to write the prompt: every part carries loss.'}
      </p>
    </div>
  )
}

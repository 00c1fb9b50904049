import { useState } from 'react'
import { useDataStepBlocker } from '../../stores/dataset-draft-store'
import type { IntakeError } from '../../stores/dataset-intake-store'
import { goToScreen } from '../../stores/navigation-store'
import { intakeErrorOf } from './csv-intake-service'
import { draftExportRequested } from './mapping-service'
import { ErrorAlert } from '../../app/error-alert'

/**
 * The way on: writes the draft training files (so the next steps can count tokens and a
 * formatting problem shows up here, not later) and opens the Model step.
 */
export function ContinueBar() {
  const blocker = useDataStepBlocker()
  const [writing, setWriting] = useState(false)
  const [error, setError] = useState<IntakeError | null>(null)
  const proceed = async () => {
    setWriting(true)
    setError(null)
    try {
      await draftExportRequested()
      goToScreen('model')
    } catch (failure) {
      setError(intakeErrorOf(failure))
    } finally {
      setWriting(false)
    }
  }
  return (
    <section className="panel data-continue" aria-label="Continue">
      <button type="button" disabled={blocker !== null || writing} onClick={() => void proceed()}>
        {writing ? 'Writing the training files…' : 'Continue to Model'}
      </button>
      <span className="small" role="status" data-testid="data-step-status">
        {blocker ?? 'The data is ready: the training files will be written from exactly what you see above.'}
      </span>
      {error && <ErrorAlert error={error} />}
    </section>
  )
}

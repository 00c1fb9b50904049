import { useDataStepBlocker } from '../../stores/dataset-draft-store'
import { useChosenModel } from '../../stores/model-choice-store'

/**
 * Parameters & estimate needs a model and finished data (its token counts decide the estimate);
 * says which is missing. A hook on purpose: the navigation calls `useAvailability()` while it
 * renders (app-shell NavButton, the only caller), so reading the stores through hooks re-renders
 * the step button the moment a model is chosen, not only at the next screen change.
 */
export function useParametersAvailability(): { open: true } | { open: false; reason: string } {
  const model = useChosenModel()
  const blocker = useDataStepBlocker()
  if (!model) return { open: false, reason: 'Choose a model on the Model screen first.' }
  if (blocker) return { open: false, reason: `Finish the Data step first: ${blocker}` }
  return { open: true }
}

import { useEffect } from 'react'
import { useDataStepBlocker } from '../../stores/dataset-draft-store'
import { useChosenModel } from '../../stores/model-choice-store'
import { goToScreen } from '../../stores/navigation-store'
import { HubIdPanel } from './hub-id-panel'
import { catalogRequested } from './model-catalog-service'
import { ModelFoldersPanel } from './model-folders-panel'
import { ModelList } from './model-list'
import { AddModelFromDiskPanel, PackModelPanel } from './model-transfer-panels'
import './model-screen.css'

/** Step 2: which base model to finetune. */
export function ModelScreen() {
  const chosen = useChosenModel()
  const dataBlocker = useDataStepBlocker()
  useEffect(() => {
    void catalogRequested()
  }, [])
  const blocker = !chosen ? 'Choose a model above.' : dataBlocker ? `Data step: ${dataBlocker}` : null
  return (
    <div className="screen-stack model-screen">
      <section className="panel model-continue" aria-label="Continue">
        <span role="status" data-testid="model-step-status">
          {chosen ? (
            <>
              Chosen: <strong>{chosen.displayName}</strong>
              {chosen.demo ? ' (demo model)' : ''}
            </>
          ) : (
            'No model chosen yet.'
          )}
        </span>
        <button type="button" disabled={blocker !== null} title={blocker ?? undefined} onClick={() => goToScreen('parameters')}>
          Continue to Parameters & estimate
        </button>
        {blocker && chosen && <span className="small muted">{blocker}</span>}
      </section>
      <ModelList />
      <div className="model-side-panels">
        <ModelFoldersPanel />
        <HubIdPanel />
        <AddModelFromDiskPanel />
        <PackModelPanel />
      </div>
    </div>
  )
}

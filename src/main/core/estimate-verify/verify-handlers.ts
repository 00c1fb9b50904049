import type { ContractHandlers } from '../../../shared/contract'
import { refuseUnconfirmedRiskySettings } from '../risky-settings-check'
import { readRunEstimateErrors } from '../runs/run-estimate-errors'
import type { LocalTuneDatabase } from '../store/database'
import type { EstimateVerifier } from './estimate-verifier'

type VerifyChannels = 'estimate.verify' | 'estimate.cancel-verify' | 'estimate.run-errors'

export function verifyHandlers(verifier: EstimateVerifier, db: LocalTuneDatabase): Pick<ContractHandlers, VerifyChannels> {
  return {
    'estimate.run-errors': async ({ runIds }) => ({ runs: readRunEstimateErrors(db, runIds ? { runIds } : {}) }),
    'estimate.verify': async (request) => {
      refuseUnconfirmedRiskySettings(request.settings.model, request.confirmedRisks)
      return verifier.verify(request)
    },
    'estimate.cancel-verify': async ({ verificationId }) => ({ cancelled: verifier.cancel(verificationId) })
  }
}

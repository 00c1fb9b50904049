import type { ContractHandlers } from '../../../shared/contract'
import type { EstimateVerifier } from './estimate-verifier'

type VerifyChannels = 'estimate.verify' | 'estimate.cancel-verify'

export function verifyHandlers(verifier: EstimateVerifier): Pick<ContractHandlers, VerifyChannels> {
  return {
    'estimate.verify': async (request) => verifier.verify(request),
    'estimate.cancel-verify': async ({ verificationId }) => ({ cancelled: verifier.cancel(verificationId) })
  }
}

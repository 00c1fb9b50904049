import { unconfirmedRiskyModelSettings, type RiskyModelSetting } from '../../shared/contract/risky-model-settings'
import { UserFacingError } from './user-facing-error'

/**
 * Refuses a run's model spec that turns on trust_remote_code or downloads the user did not
 * confirm (the page asks in a dialog that says the risk; the request carries `confirmedRisks`).
 * Every channel that takes run settings asks this first: projects.create, runs.start and
 * estimate.verify, so none of them is a way around the others.
 */
export function refuseUnconfirmedRiskySettings(model: { trust_remote_code?: boolean; allow_downloads?: boolean }, confirmed: readonly RiskyModelSetting[]): void {
  const unconfirmed = unconfirmedRiskyModelSettings(model, confirmed)
  if (unconfirmed.length === 0) return
  const one = unconfirmed.length === 1
  throw new UserFacingError(
    `settings.model.${unconfirmed.join(' and settings.model.')} ${one ? 'is' : 'are'} on but not confirmed. Switch ${one ? 'it' : 'them'} on in the app, which says the risk and asks you first, or leave ${one ? 'it' : 'them'} off.`,
    { code: 'conflict', details: unconfirmed.map((setting) => `settings.model.${setting}`) }
  )
}

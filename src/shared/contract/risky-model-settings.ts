import { z } from 'zod'

/**
 * Model settings that can hurt the user's machine or privacy. The page offers them only behind a
 * confirmation that says the risk (risky-model-settings.tsx), and the core refuses them unless
 * the request says the user confirmed them (`confirmedRisks`): a contract call alone, e.g. from a
 * script or a page that should not be calling, cannot switch them on.
 */
export const riskyModelSettingSchema = z.enum(['trust_remote_code', 'allow_downloads'])
export type RiskyModelSetting = z.infer<typeof riskyModelSettingSchema>

export const riskyModelSettings: Record<RiskyModelSetting, { label: string; risk: string }> = {
  trust_remote_code: {
    label: "Run the model's own Python code (trust_remote_code)",
    risk:
      "Some models ship Python files that transformers runs when it loads them. That code runs as you, with access to your files and the network, every time this project trains, generates or exports. Allow it only for a model whose authors you trust and whose files you have looked at."
  },
  allow_downloads: {
    label: 'Allow downloads of missing model files',
    risk:
      "Training then may contact the Hugging Face Hub (HF_HUB_OFFLINE is not set) and download files the model folder or cache lacks, possibly gigabytes, and the Hub sees which model you use. Without it nothing goes to the network."
  }
}

/** The risky settings a run's model spec turns on that the user did not confirm. */
export function unconfirmedRiskyModelSettings(model: { trust_remote_code?: boolean; allow_downloads?: boolean }, confirmed: readonly RiskyModelSetting[]): RiskyModelSetting[] {
  return riskyModelSettingSchema.options.filter((setting) => model[setting] === true && !confirmed.includes(setting))
}

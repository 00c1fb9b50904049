import fs from 'node:fs'
import type { ChatTemplateSpec } from '../../../shared/dataset/mapping'
import { UserFacingError } from '../user-facing-error'

type TokenValue = string | { content?: unknown } | null | undefined

function tokenText(value: TokenValue): string | undefined {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && typeof value.content === 'string') return value.content
  return undefined
}

/**
 * A model's chat template from its `tokenizer_config.json` (with its bos/eos tokens), or from
 * a plain Jinja template file.
 */
export async function loadChatTemplate(filePath: string): Promise<ChatTemplateSpec> {
  let text: string
  try {
    text = await fs.promises.readFile(filePath, 'utf8')
  } catch {
    throw new UserFacingError(`Cannot read the chat template file ${filePath}. Check the path.`, { code: 'not_found' })
  }
  if (!filePath.toLowerCase().endsWith('.json')) {
    if (text.trim() === '') throw new UserFacingError(`${filePath} is empty: it has no chat template.`, { code: 'invalid_request' })
    return { template: text }
  }
  let config: Record<string, unknown>
  try {
    config = JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new UserFacingError(`${filePath} is not valid JSON: ${(error as Error).message}`, { code: 'invalid_request' })
  }
  let template = config.chat_template
  // Some configs hold several named templates; the one named "default" is what transformers uses.
  if (Array.isArray(template)) {
    const named = template as { name?: unknown; template?: unknown }[]
    template = named.find((entry) => entry.name === 'default')?.template
  }
  if (typeof template !== 'string' || template.trim() === '') {
    throw new UserFacingError(`${filePath} has no chat_template, so this model has no chat format of its own. Use the LocalTune format instead.`, { code: 'invalid_request' })
  }
  const spec: ChatTemplateSpec = { template }
  const bos = tokenText(config.bos_token as TokenValue)
  const eos = tokenText(config.eos_token as TokenValue)
  if (bos !== undefined) spec.bosToken = bos
  if (eos !== undefined) spec.eosToken = eos
  const extra: Record<string, string> = {}
  for (const name of ['pad_token', 'unk_token']) {
    const value = tokenText(config[name] as TokenValue)
    if (value !== undefined) extra[name] = value
  }
  if (Object.keys(extra).length > 0) spec.extraVariables = extra
  return spec
}

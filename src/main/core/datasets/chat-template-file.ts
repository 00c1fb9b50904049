import fs from 'node:fs'
import path from 'node:path'
import type { ChatTemplateSpec } from '../../../shared/dataset/mapping'
import { readRegularTextFile } from '../models/bounded-file-read'
import { UserFacingError } from '../user-facing-error'

type TokenValue = string | { content?: unknown } | null | undefined

function tokenText(value: TokenValue): string | undefined {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && typeof value.content === 'string') return value.content
  return undefined
}

/** The template text of a tokenizer_config.json's (or chat_template.json's) `chat_template`; null when there is none. */
function templateOfConfig(config: Record<string, unknown>): string | null {
  let template = config.chat_template
  // Some configs hold several named templates; the one named "default" is what transformers uses.
  if (Array.isArray(template)) {
    const named = template as { name?: unknown; template?: unknown }[]
    template = named.find((entry) => entry.name === 'default')?.template
  }
  return typeof template === 'string' && template.trim() !== '' ? template : null
}

// Model folders are not LocalTune's: only regular files of a bounded size are read (a FIFO
// named tokenizer_config.json would freeze the host), as the catalog reads config.json.
function readJsonObject(file: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(readRegularTextFile(file))
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/** bos/eos and the other special tokens a template may use, from a tokenizer_config.json. */
function tokensOf(config: Record<string, unknown>): Omit<ChatTemplateSpec, 'template'> {
  const spec: Omit<ChatTemplateSpec, 'template'> = {}
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

/** Where a model folder keeps its chat template. */
export interface ChatTemplateLocation {
  file: string
  kind: 'jinja' | 'tokenizer-config' | 'chat-template-json'
}

/**
 * Finds a model folder's chat template as transformers' AutoTokenizer does: `chat_template.jinja`
 * (what transformers ≥ 4.50 and 5's save_pretrained write; it wins over the rest), else
 * `chat_template` in tokenizer_config.json (older saves and most Hub repos), else
 * chat_template.json (older processor saves). The catalog's "has a chat template" and the Data
 * step's template both come from here, so a model listed with a template can be used with it.
 */
export function locateChatTemplate(modelDir: string): ChatTemplateLocation | null {
  const jinja = path.join(modelDir, 'chat_template.jinja')
  try {
    if (readRegularTextFile(jinja).trim() !== '') return { file: jinja, kind: 'jinja' }
  } catch {
    // no such file (or not a readable regular file): look in tokenizer_config.json
  }
  const configFile = path.join(modelDir, 'tokenizer_config.json')
  const config = readJsonObject(configFile)
  if (config && templateOfConfig(config)) return { file: configFile, kind: 'tokenizer-config' }
  const legacy = path.join(modelDir, 'chat_template.json')
  const legacyConfig = readJsonObject(legacy)
  if (legacyConfig && templateOfConfig(legacyConfig)) return { file: legacy, kind: 'chat-template-json' }
  return null
}

/**
 * A model folder's chat template with the special tokens it refers to: the template from where
 * `locateChatTemplate` finds it, and bos/eos (and pad/unk) from tokenizer_config.json, which
 * holds them in every layout.
 */
export async function loadModelChatTemplate(modelDir: string): Promise<{ spec: ChatTemplateSpec; sourceFile: string }> {
  const location = locateChatTemplate(modelDir)
  if (!location) {
    throw new UserFacingError(
      `${modelDir} has no chat template (LocalTune looked for chat_template.jinja, "chat_template" in tokenizer_config.json, and chat_template.json), so this model has no chat format of its own. Use the LocalTune format.`,
      { code: 'not_found' }
    )
  }
  const configFile = path.join(modelDir, 'tokenizer_config.json')
  if (location.kind === 'tokenizer-config') return { spec: await loadChatTemplate(configFile), sourceFile: configFile }
  const template = location.kind === 'jinja' ? readRegularTextFile(location.file) : (templateOfConfig(readJsonObject(location.file) ?? {}) as string)
  return { spec: { ...tokensOf(readJsonObject(configFile) ?? {}), template }, sourceFile: location.file }
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
  const template = templateOfConfig(config)
  if (template === null) {
    const jinja = path.join(path.dirname(filePath), 'chat_template.jinja')
    const where = fs.existsSync(jinja)
      ? ` The model keeps its template in ${jinja} (the layout transformers 5 writes): give that file, or the model's folder.`
      : ' Without one the model has no chat format of its own: use the LocalTune format instead.'
    throw new UserFacingError(`${filePath} has no chat_template.${where}`, { code: 'invalid_request' })
  }
  return { ...tokensOf(config), template }
}

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadChatTemplate, loadModelChatTemplate, locateChatTemplate } from '../../../../src/main/core/datasets/chat-template-file'
import { describeModelFolder } from '../../../../src/main/core/models/model-catalog'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-chat-template-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const template = "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}<|end|>\n{% endfor %}"
const write = (name: string, content: unknown) => fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content))

describe("a model folder's chat template, found where transformers finds it", () => {
  it('chat_template.jinja wins over tokenizer_config.json, as in transformers', async () => {
    write('tokenizer_config.json', { chat_template: 'the old one', bos_token: '<s>', eos_token: { content: '</s>' } })
    write('chat_template.jinja', template)
    expect(locateChatTemplate(dir)).toEqual({ file: path.join(dir, 'chat_template.jinja'), kind: 'jinja' })
    expect(await loadModelChatTemplate(dir)).toEqual({ spec: { template, bosToken: '<s>', eosToken: '</s>' }, sourceFile: path.join(dir, 'chat_template.jinja') })
  })

  it('an empty chat_template.jinja is no template; chat_template.json (older processor saves) is the last place', async () => {
    write('chat_template.jinja', '  \n')
    write('tokenizer_config.json', { eos_token: '</s>' })
    write('chat_template.json', { chat_template: template })
    expect(locateChatTemplate(dir)?.kind).toBe('chat-template-json')
    expect((await loadModelChatTemplate(dir)).spec).toEqual({ template, eosToken: '</s>' })
  })

  it('the catalog lists a template exactly when the Data step can load it', async () => {
    write('config.json', fs.readFileSync(path.resolve(import.meta.dirname, '../../../fixtures/models/HuggingFaceTB--SmolLM2-135M/config.json'), 'utf8'))
    write('tokenizer_config.json', { eos_token: '</s>' })
    expect(describeModelFolder(dir, { id: dir, source: 'folder' }).hasChatTemplate).toBe(false)
    await expect(loadModelChatTemplate(dir)).rejects.toThrow('has no chat template (LocalTune looked for chat_template.jinja')
    write('chat_template.jinja', template)
    expect(describeModelFolder(dir, { id: dir, source: 'folder' }).hasChatTemplate).toBe(true)
    expect((await loadModelChatTemplate(dir)).spec.template).toBe(template)
  })

  it('a tokenizer_config.json without a template points at the chat_template.jinja beside it', async () => {
    write('tokenizer_config.json', { eos_token: '</s>' })
    write('chat_template.jinja', template)
    await expect(loadChatTemplate(path.join(dir, 'tokenizer_config.json'))).rejects.toThrow(
      `${path.join(dir, 'tokenizer_config.json')} has no chat_template. The model keeps its template in ${path.join(dir, 'chat_template.jinja')} (the layout transformers 5 writes): give that file, or the model's folder.`
    )
  })

  it.skipIf(process.platform === 'win32')('does not hang on a FIFO named chat_template.jinja', async () => {
    const { execFileSync } = await import('node:child_process')
    execFileSync('mkfifo', [path.join(dir, 'chat_template.jinja')])
    write('tokenizer_config.json', { chat_template: template })
    expect(locateChatTemplate(dir)?.kind).toBe('tokenizer-config')
  })
})

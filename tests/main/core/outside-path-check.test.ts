import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../src/main/core/contract-dispatch'
import { createCore, type Core } from '../../../src/main/core/create-core'
import { resolveThroughLinks, userFolderFactsOf } from '../../../src/main/core/outside-path-check'
import { isInsideUserFolders } from '../../../src/shared/user-folders'
import { makeTempHome } from '../../helpers/temp-home'

const configs = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../shared/data/model-configs')

// /var/tmp is outside by the definition (not the home, the OS temp folder /tmp, a cache or a
// removable disk), and writable on every Linux machine the tests run on.
const outsideRoot = '/var/tmp'

describe("paths outside the user's folders need the user's confirmation", () => {
  let home: string
  let cleanup: () => void
  let core: Core
  let env: NodeJS.ProcessEnv
  let outside: string

  beforeEach(() => {
    const temp = makeTempHome()
    home = temp.home
    cleanup = temp.cleanup
    const hfCache = path.join(home, 'hf-cache')
    fs.mkdirSync(hfCache)
    env = { ...process.env, LOCALTUNE_HOME: home, HF_HUB_CACHE: hfCache, HF_HOME: path.join(home, 'hf-home') }
    core = createCore({ home, env })
    outside = fs.mkdtempSync(path.join(outsideRoot, 'lt-outside-'))
  })
  afterEach(() => {
    core.close()
    cleanup()
    fs.rmSync(outside, { recursive: true, force: true })
  })

  it('resolves a symlink in a user folder that points into /etc as /etc, and a `..` escape as where it lands', () => {
    const facts = userFolderFactsOf(env, home)
    const link = path.join(home, 'looks-like-mine')
    fs.symlinkSync('/etc', link)
    expect(resolveThroughLinks(path.join(link, 'not-yet', 'x'))).toBe('/etc/not-yet/x')
    expect(isInsideUserFolders(resolveThroughLinks(path.join(link, 'x')), facts)).toBe(false)
    expect(isInsideUserFolders(resolveThroughLinks(`${home}/../../etc`), facts)).toBe(false)
    expect(isInsideUserFolders(resolveThroughLinks(path.join(home, 'new', 'folder')), facts)).toBe(true)
    expect(isInsideUserFolders(resolveThroughLinks(outside), facts)).toBe(false)
  })

  it('models.add-folder: refused naming the field and the path, then added once the path is confirmed', async () => {
    const model = path.join(outside, 'gpt2-local')
    fs.mkdirSync(model)
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(configs, 'openai-community--gpt2', file), path.join(model, file))
    const refused = await dispatchContractCall(core.handlers, 'models.add-folder', { path: outside })
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`path: read from ${outside}`], message: expect.stringContaining(`path: LocalTune would read from ${outside}, outside your folders`) } })
    expect(core.db.prepare('SELECT COUNT(*) AS n FROM model_folders').get()).toEqual({ n: 0 })
    const added = await dispatchContractCall(core.handlers, 'models.add-folder', { path: outside, confirmedPaths: [outside] })
    expect(added).toMatchObject({ ok: true, value: { added: outside, found: [expect.objectContaining({ path: model })] } })
  })

  it('models.list: an extra outside folder to scan is refused unless confirmed', async () => {
    const refused = await dispatchContractCall(core.handlers, 'models.list', { folders: [outside] })
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`folders.0: read from ${outside}`] } })
    expect(await dispatchContractCall(core.handlers, 'models.list', { folders: [outside], confirmedPaths: [outside] })).toMatchObject({ ok: true })
  })

  it('a symlink from the home folder into an outside folder is refused as that folder', async () => {
    const link = path.join(home, 'linked-models')
    fs.symlinkSync(outside, link)
    const refused = await dispatchContractCall(core.handlers, 'models.add-folder', { path: link })
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', message: expect.stringContaining(`(which is ${outside})`) } })
  })

  it('models.pack and models.add-packed: an outside destination or source is refused, a confirmed one goes on to the copy', async () => {
    const outDir = path.join(outside, 'pack')
    const pack = await dispatchContractCall(core.handlers, 'models.pack', { model: 'nobody/not-cached', outDir })
    expect(pack).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`outDir: write into ${outDir}`] } })
    const packConfirmed = await dispatchContractCall(core.handlers, 'models.pack', { model: 'nobody/not-cached', outDir, confirmedPaths: [outDir] })
    expect(packConfirmed).toMatchObject({ ok: false, error: { message: expect.stringContaining('nobody/not-cached') } })
    expect(packConfirmed).not.toMatchObject({ error: { code: 'outside_user_folders' } })

    const addPacked = await dispatchContractCall(core.handlers, 'models.add-packed', { path: outside })
    expect(addPacked).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`path: read from ${outside}`] } })
    const addConfirmed = await dispatchContractCall(core.handlers, 'models.add-packed', { path: outside, confirmedPaths: [outside] })
    expect(addConfirmed).not.toMatchObject({ error: { code: 'outside_user_folders' } })
  })

  it('runtime.setup and runtime.install-from-folder: an outside wheelhouse or folder is refused; a confirmed folder goes on to its own checks', async () => {
    const setup = await dispatchContractCall(core.handlers, 'runtime.setup', { flavour: 'cpu', wheelhouse: outside })
    expect(setup).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`wheelhouse: read from ${outside}`] } })
    const install = await dispatchContractCall(core.handlers, 'runtime.install-from-folder', { folder: outside })
    expect(install).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`folder: read from ${outside}`] } })
    const confirmed = await dispatchContractCall(core.handlers, 'runtime.install-from-folder', { folder: outside, confirmedPaths: [outside] })
    expect(confirmed).not.toMatchObject({ error: { code: 'outside_user_folders' } })
  })

  it('exports.plan and exports.start: an outside options.outDir is refused; confirmed, the export goes on to find the run', async () => {
    for (const channel of ['exports.plan', 'exports.start'] as const) {
      const request = { runId: 'no-such-run', options: { format: 'adapter', outDir: outside } }
      const refused = await dispatchContractCall(core.handlers, channel, request)
      expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`options.outDir: write into ${outside}`] } })
      const confirmed = await dispatchContractCall(core.handlers, channel, { ...request, confirmedPaths: [outside] })
      expect(confirmed).toMatchObject({ ok: false, error: { message: expect.stringContaining('no-such-run') } })
    }
  })

  it('datasets.export: an outside outDir is refused; confirmed, it goes on to find the dataset', async () => {
    const request = { datasetId: 'no-such-dataset', mapping: { mode: 'chat', prompt: 'prompt', response: 'response' }, outDir: outside }
    const refused = await dispatchContractCall(core.handlers, 'datasets.export', request)
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`outDir: write into ${outside}`] } })
    const confirmed = await dispatchContractCall(core.handlers, 'datasets.export', { ...request, confirmedPaths: [outside] })
    expect(confirmed).toMatchObject({ ok: false, error: { message: expect.stringContaining('no-such-dataset') } })
  })

  it('a path inside the user\'s folders needs no confirmation', async () => {
    const mine = path.join(home, 'my-models')
    fs.mkdirSync(path.join(mine, 'gpt2-local'), { recursive: true })
    fs.copyFileSync(path.join(configs, 'openai-community--gpt2', 'config.json'), path.join(mine, 'gpt2-local', 'config.json'))
    expect(await dispatchContractCall(core.handlers, 'models.add-folder', { path: mine })).toMatchObject({ ok: true, value: { added: mine } })
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../src/main/core/contract-dispatch'
import { createCore, type Core } from '../../../src/main/core/create-core'
import { findAppRoot } from '../../../src/main/core/app-root'
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
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`path (a folder of models): read from ${outside}`], message: expect.stringContaining(`path (a folder of models): LocalTune would read from ${outside}, outside your folders`) } })
    expect(core.db.prepare('SELECT COUNT(*) AS n FROM model_folders').get()).toEqual({ n: 0 })
    const added = await dispatchContractCall(core.handlers, 'models.add-folder', { path: outside, confirmedPaths: [outside] })
    expect(added).toMatchObject({ ok: true, value: { added: outside, found: [expect.objectContaining({ path: model })] } })
  })

  it('models.list: an extra outside folder to scan is refused unless confirmed', async () => {
    const refused = await dispatchContractCall(core.handlers, 'models.list', { folders: [outside] })
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`folders.0 (a folder of models): read from ${outside}`] } })
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
    expect(pack).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`outDir (the folder to pack into): write into ${outDir}`] } })
    const packConfirmed = await dispatchContractCall(core.handlers, 'models.pack', { model: 'nobody/not-cached', outDir, confirmedPaths: [outDir] })
    expect(packConfirmed).toMatchObject({ ok: false, error: { message: expect.stringContaining('nobody/not-cached') } })
    expect(packConfirmed).not.toMatchObject({ error: { code: 'outside_user_folders' } })

    const addPacked = await dispatchContractCall(core.handlers, 'models.add-packed', { path: outside })
    expect(addPacked).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`path (the model to add): read from ${outside}`] } })
    const addConfirmed = await dispatchContractCall(core.handlers, 'models.add-packed', { path: outside, confirmedPaths: [outside] })
    expect(addConfirmed).not.toMatchObject({ error: { code: 'outside_user_folders' } })
  })

  it('runtime.setup and runtime.install-from-folder: an outside wheelhouse or folder is refused; a confirmed folder goes on to its own checks', async () => {
    const setup = await dispatchContractCall(core.handlers, 'runtime.setup', { flavour: 'cpu', wheelhouse: outside })
    expect(setup).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`wheelhouse (the folder of Python packages to install): read from ${outside}`] } })
    const install = await dispatchContractCall(core.handlers, 'runtime.install-from-folder', { folder: outside })
    expect(install).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`folder (the packed runtime to install): read from ${outside}`] } })
    const confirmed = await dispatchContractCall(core.handlers, 'runtime.install-from-folder', { folder: outside, confirmedPaths: [outside] })
    expect(confirmed).not.toMatchObject({ error: { code: 'outside_user_folders' } })
  })

  it('exports.plan and exports.start: an outside options.outDir is refused; confirmed, the export goes on to find the run', async () => {
    for (const channel of ['exports.plan', 'exports.start'] as const) {
      const request = { runId: 'no-such-run', options: { format: 'adapter', outDir: outside } }
      const refused = await dispatchContractCall(core.handlers, channel, request)
      expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`options.outDir (the folder for the export): write into ${outside}`] } })
      const confirmed = await dispatchContractCall(core.handlers, channel, { ...request, confirmedPaths: [outside] })
      expect(confirmed).toMatchObject({ ok: false, error: { message: expect.stringContaining('no-such-run') } })
    }
  })

  it('datasets.export: an outside outDir is refused; confirmed, it goes on to find the dataset', async () => {
    const request = { datasetId: 'no-such-dataset', mapping: { mode: 'chat', prompt: 'prompt', response: 'response' }, outDir: outside }
    const refused = await dispatchContractCall(core.handlers, 'datasets.export', request)
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`outDir (the folder for the training files): write into ${outside}`] } })
    const confirmed = await dispatchContractCall(core.handlers, 'datasets.export', { ...request, confirmedPaths: [outside] })
    expect(confirmed).toMatchObject({ ok: false, error: { message: expect.stringContaining('no-such-dataset') } })
  })

  /** A model folder LocalTune can read (config.json and tokenizer of gpt2), made in `parent`. */
  function gpt2Folder(parent: string): string {
    const model = path.join(parent, 'gpt2-local')
    fs.mkdirSync(model, { recursive: true })
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(configs, 'openai-community--gpt2', file), path.join(model, file))
    return model
  }

  const trainingLines = [{ prompt: 'Say hi. ', response: 'hi' }, { prompt: 'Say bye. ', response: 'bye' }].map((line) => JSON.stringify(line)).join('\n') + '\n'
  const runSettings = (modelPath: string) => ({ model: { id: 'local/gpt2', path: modelPath }, method: 'lora', mode: 'chat', params: { max_steps: 1 } })

  it('datasets.peek and datasets.import: an outside CSV is refused, naming the field, the file and why; nothing is imported until it is confirmed', async () => {
    const csv = path.join(outside, 'notes.csv')
    fs.writeFileSync(csv, 'prompt,response\nhi,hello\nbye,see you\n')
    for (const channel of ['datasets.peek', 'datasets.import'] as const) {
      const refused = await dispatchContractCall(core.handlers, channel, { path: csv })
      expect(refused).toMatchObject({
        ok: false,
        error: {
          code: 'outside_user_folders',
          details: [`path (the CSV file): read from ${csv}`],
          message: expect.stringMatching(new RegExp(`^path \\(the CSV file\\): LocalTune would read from ${csv}, outside your folders\\. Folders outside yours belong to the system or to other programs`))
        }
      })
    }
    expect(core.db.prepare('SELECT COUNT(*) AS n FROM datasets').get()).toEqual({ n: 0 })
    expect(await dispatchContractCall(core.handlers, 'datasets.peek', { path: csv, confirmedPaths: [csv] })).toMatchObject({ ok: true, value: { sourcePath: csv, rows: [{ cells: ['hi', 'hello'] }, { cells: ['bye', 'see you'] }] } })
    expect(await dispatchContractCall(core.handlers, 'datasets.import', { path: csv, confirmedPaths: [csv] })).toMatchObject({ ok: true, value: { datasetId: expect.any(String), inspection: { rowCount: 2 } } })
  })

  it('a CSV linked from the home folder to an outside file is judged where it really is', async () => {
    const csv = path.join(outside, 'real.csv')
    fs.writeFileSync(csv, 'prompt,response\nhi,hello\n')
    const link = path.join(home, 'looks-mine.csv')
    fs.symlinkSync(csv, link)
    const refused = await dispatchContractCall(core.handlers, 'datasets.peek', { path: link })
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`path (the CSV file): read from ${link}`], message: expect.stringContaining(`(which is ${csv})`) } })
  })

  it("LocalTune's install folder is read without asking (the demo CSV) but never written into without asking", async () => {
    const installFolder = findAppRoot()
    const demoCsv = path.join(installFolder, 'resources', 'demo', 'sample-chat.csv')
    expect(await dispatchContractCall(core.handlers, 'datasets.peek', { path: demoCsv, count: 1 })).toMatchObject({ ok: true })
    const outDir = path.join(installFolder, 'resources', 'written-by-a-test')
    const write = await dispatchContractCall(core.handlers, 'datasets.export', { datasetId: 'no-such-dataset', mapping: { mode: 'chat', prompt: 'prompt', response: 'response' }, outDir })
    expect(write).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`outDir (the folder for the training files): write into ${outDir}`] } })
    expect(fs.existsSync(outDir)).toBe(false)
  })

  it('datasets.export: an outside validation CSV (split kind "file") is refused; confirmed, it goes on to find the dataset', async () => {
    const validation = path.join(outside, 'valid.csv')
    const request = { datasetId: 'no-such-dataset', mapping: { mode: 'chat', prompt: 'prompt', response: 'response' }, split: { kind: 'file', path: validation } }
    const refused = await dispatchContractCall(core.handlers, 'datasets.export', request)
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`split.path (the validation CSV): read from ${validation}`] } })
    const confirmed = await dispatchContractCall(core.handlers, 'datasets.export', { ...request, confirmedPaths: [validation] })
    expect(confirmed).toMatchObject({ ok: false, error: { message: expect.stringContaining('no-such-dataset') } })
  })

  it("datasets.chat-template: an outside model folder is refused; confirmed, the model's template is read", async () => {
    const model = gpt2Folder(outside)
    const refused = await dispatchContractCall(core.handlers, 'datasets.chat-template', { modelPath: model })
    expect(refused).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`modelPath (the model folder): read from ${model}`] } })
    const confirmed = await dispatchContractCall(core.handlers, 'datasets.chat-template', { modelPath: model, confirmedPaths: [model] })
    expect(confirmed).not.toMatchObject({ error: { code: 'outside_user_folders' } })
  })

  it('tokens.stats: an outside training file and model folder are each named; confirmed, the tokens are counted', async () => {
    const train = path.join(outside, 'train.jsonl')
    fs.writeFileSync(train, trainingLines)
    const model = gpt2Folder(outside)
    const request = { trainJsonlPath: train, model: { id: 'local/gpt2', path: model } }
    const refused = await dispatchContractCall(core.handlers, 'tokens.stats', request)
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'outside_user_folders', details: [`trainJsonlPath (the training file): read from ${train}`, `model.path (the model folder): read from ${model}`] }
    })
    const halfConfirmed = await dispatchContractCall(core.handlers, 'tokens.stats', { ...request, confirmedPaths: [train] })
    expect(halfConfirmed).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`model.path (the model folder): read from ${model}`] } })
    const confirmed = await dispatchContractCall(core.handlers, 'tokens.stats', { ...request, confirmedPaths: [train, model] })
    expect(confirmed).toMatchObject({ ok: true, value: { trainPath: train, stats: { exampleCount: 2, approximate: false } } })
  })

  it('a model in a folder of models the user added (and confirmed then) is not asked about again; other files there still are', async () => {
    const model = gpt2Folder(outside)
    const train = path.join(home, 'train.jsonl')
    fs.writeFileSync(train, trainingLines)
    expect(await dispatchContractCall(core.handlers, 'tokens.stats', { trainJsonlPath: train, model: { id: 'local/gpt2', path: model } })).toMatchObject({ ok: false, error: { code: 'outside_user_folders' } })
    expect(await dispatchContractCall(core.handlers, 'models.add-folder', { path: outside, confirmedPaths: [outside] })).toMatchObject({ ok: true })
    expect(await dispatchContractCall(core.handlers, 'tokens.stats', { trainJsonlPath: train, model: { id: 'local/gpt2', path: model } })).toMatchObject({ ok: true })
    const csv = path.join(outside, 'notes.csv')
    fs.writeFileSync(csv, 'prompt,response\nhi,hello\n')
    expect(await dispatchContractCall(core.handlers, 'datasets.peek', { path: csv })).toMatchObject({ ok: false, error: { code: 'outside_user_folders', details: [`path (the CSV file): read from ${csv}`] } })
  })

  it('estimate.verify: an outside training file and model folder are refused; confirmed, it goes on to its own checks', async () => {
    const train = path.join(outside, 'gone.jsonl')
    const model = path.join(outside, 'model')
    const request = { verificationId: 'v-outside', trainJsonlPath: train, settings: runSettings(model), device: { kind: 'cpu' } }
    const refused = await dispatchContractCall(core.handlers, 'estimate.verify', request)
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'outside_user_folders', details: [`trainJsonlPath (the training file): read from ${train}`, `settings.model.path (the model folder): read from ${model}`] }
    })
    const confirmed = await dispatchContractCall(core.handlers, 'estimate.verify', { ...request, confirmedPaths: [train, model] })
    expect(confirmed).toMatchObject({ ok: false, error: { message: expect.stringContaining(`${train} does not exist`) } })
  })

  it('runs.start: outside training and validation files and model folder are refused; confirmed, it goes on to its own checks', async () => {
    const train = path.join(outside, 'train.jsonl')
    const valid = path.join(outside, 'valid.jsonl')
    const model = path.join(outside, 'model')
    const request = { projectId: null, settings: runSettings(model), trainJsonl: train, validJsonl: valid }
    const refused = await dispatchContractCall(core.handlers, 'runs.start', request)
    expect(refused).toMatchObject({
      ok: false,
      error: {
        code: 'outside_user_folders',
        details: [`trainJsonl (the training file): read from ${train}`, `validJsonl (the validation file): read from ${valid}`, `settings.model.path (the model folder): read from ${model}`]
      }
    })
    expect(core.db.prepare('SELECT COUNT(*) AS n FROM runs').get()).toEqual({ n: 0 })
    const confirmed = await dispatchContractCall(core.handlers, 'runs.start', { ...request, confirmedPaths: [train, valid, model] })
    expect(confirmed).toMatchObject({ ok: false })
    expect(confirmed).not.toMatchObject({ error: { code: 'outside_user_folders' } })
  })

  it('projects.create: the model folder (named twice) is asked about once, with the validation CSV; confirmed, it goes on to find the dataset', async () => {
    const model = path.join(outside, 'model')
    const validation = path.join(outside, 'valid.csv')
    const request = {
      name: 'outside',
      data: { datasetId: 'no-such-dataset', mapping: { mode: 'chat', prompt: 'prompt', response: 'response' }, split: { kind: 'file', path: validation } },
      model: { id: 'local/gpt2', path: model, displayName: 'gpt2', demo: false, hasChatTemplate: false },
      settings: runSettings(model),
      estimate: { verdict: 'fits', peakBytes: 1, deviceMemoryBytes: null, deviceLabel: 'CPU', details: {}, riskAccepted: false }
    }
    const refused = await dispatchContractCall(core.handlers, 'projects.create', request)
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'outside_user_folders', details: [`model.path (the model folder): read from ${model}`, `data.split.path (the validation CSV): read from ${validation}`] }
    })
    const confirmed = await dispatchContractCall(core.handlers, 'projects.create', { ...request, confirmedPaths: [model, validation] })
    expect(confirmed).toMatchObject({ ok: false })
    expect(confirmed).not.toMatchObject({ error: { code: 'outside_user_folders' } })
  })

  it('a path inside the user\'s folders needs no confirmation', async () => {
    const mine = path.join(home, 'my-models')
    fs.mkdirSync(path.join(mine, 'gpt2-local'), { recursive: true })
    fs.copyFileSync(path.join(configs, 'openai-community--gpt2', 'config.json'), path.join(mine, 'gpt2-local', 'config.json'))
    expect(await dispatchContractCall(core.handlers, 'models.add-folder', { path: mine })).toMatchObject({ ok: true, value: { added: mine } })
  })
})

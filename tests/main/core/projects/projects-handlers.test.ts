import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { createCore, type Core } from '../../../../src/main/core/create-core'
import { makeTempHome } from '../../../helpers/temp-home'

const model = { id: 'localtune/tiny-demo', path: null, displayName: 'LocalTune tiny demo', demo: true, hasChatTemplate: false }
const settings = { model: { id: 'localtune/tiny-demo', path: null }, method: 'full' as const, mode: 'chat' as const, params: { max_steps: 5, micro_batch_size: 2, max_length: 256 } }
const fits = { verdict: 'fits' as const, peakBytes: 50_000_000, deviceMemoryBytes: null, deviceLabel: 'CPU', details: {}, riskAccepted: false }

describe('projects', () => {
  let core: Core
  let cleanup: () => void
  let csv: string

  beforeEach(() => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    core = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home } })
    csv = path.join(temp.home, 'qa.csv')
    fs.writeFileSync(
      csv,
      'instruction,input,output\n' +
        'Convert 3 km to metres,,3000 metres\n' +
        'Spell this backwards,cat,tac\n' +
        'Name the capital of France,,\n' +
        'Add these numbers,2 and 3,5\n'
    )
  })

  afterEach(() => {
    core.close()
    cleanup()
  })

  async function importCsv(): Promise<string> {
    const imported = await core.handlers['datasets.import']({ path: csv })
    expect(imported.datasetId).not.toBeNull()
    return imported.datasetId!
  }

  const mapping = { mode: 'chat' as const, prompt: 'instruction', context: 'input', response: 'output' }

  it('writes the training files with the shared formatter and lists the project', async () => {
    const datasetId = await importCsv()
    const envelope = await dispatchContractCall(core.handlers, 'projects.create', {
      name: 'Unit conversions',
      data: { datasetId, mapping, split: { kind: 'none' }, dropInvalidRows: true },
      model,
      settings,
      estimate: fits
    })
    expect(envelope.ok).toBe(true)
    const project = (envelope as { value: { id: string; projectDir: string; trainExamples: number; droppedRows: number; datasetFileName: string } }).value
    expect(project.trainExamples).toBe(3)
    expect(project.droppedRows).toBe(1)
    expect(project.datasetFileName).toBe('qa.csv')
    const lines = fs.readFileSync(path.join(project.projectDir, 'data', 'train.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
    expect(lines[0]).toEqual({
      prompt: 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n### Instruction: Convert 3 km to metres\n### Response:',
      response: ' 3000 metres',
      row: 1
    })
    const listed = await core.handlers['projects.list']({})
    expect(listed.map((p) => p.name)).toEqual(['Unit conversions'])
  })

  it('refuses a project whose estimate does not fit unless the risk is accepted', async () => {
    const datasetId = await importCsv()
    const request = { name: 'Too big', data: { datasetId, mapping, split: { kind: 'none' }, dropInvalidRows: true }, model, settings }
    const refused = await dispatchContractCall(core.handlers, 'projects.create', { ...request, estimate: { ...fits, verdict: 'does_not_fit' } })
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict', details: ['estimate.riskAccepted'] } })
    expect(await core.handlers['projects.list']({})).toEqual([])
    const accepted = await dispatchContractCall(core.handlers, 'projects.create', { ...request, estimate: { ...fits, verdict: 'does_not_fit', riskAccepted: true } })
    expect(accepted.ok).toBe(true)
  })

  it('refuses risky model settings the user did not confirm, naming each, and keeps those confirmed in the project', async () => {
    const datasetId = await importCsv()
    const risky = { ...settings, model: { ...settings.model, trust_remote_code: true, allow_downloads: true } }
    const request = { name: 'Remote code', data: { datasetId, mapping, split: { kind: 'none' }, dropInvalidRows: true }, model, settings: risky, estimate: fits }
    const refused = await dispatchContractCall(core.handlers, 'projects.create', request)
    expect(refused).toMatchObject({
      ok: false,
      error: {
        code: 'conflict',
        message: expect.stringMatching(/^settings\.model\.trust_remote_code and settings\.model\.allow_downloads are on but not confirmed\. Switch them on in the app/),
        details: ['settings.model.trust_remote_code', 'settings.model.allow_downloads']
      }
    })
    const halfConfirmed = await dispatchContractCall(core.handlers, 'projects.create', { ...request, confirmedRisks: ['allow_downloads'] })
    expect(halfConfirmed).toMatchObject({ ok: false, error: { details: ['settings.model.trust_remote_code'] } })
    expect(await core.handlers['projects.list']({})).toEqual([])
    const confirmed = await dispatchContractCall(core.handlers, 'projects.create', { ...request, confirmedRisks: ['trust_remote_code', 'allow_downloads'] })
    expect(confirmed).toMatchObject({ ok: true, value: { settings: { model: { trust_remote_code: true, allow_downloads: true } } } })
  })

  it('refuses rows that cannot train unless the user agreed to drop them, leaving no folder behind', async () => {
    const datasetId = await importCsv()
    const envelope = await dispatchContractCall(core.handlers, 'projects.create', {
      name: 'Keep everything',
      data: { datasetId, mapping, split: { kind: 'none' }, dropInvalidRows: false },
      model,
      settings,
      estimate: fits
    })
    expect(envelope.ok).toBe(false)
    expect(envelope.ok ? '' : envelope.error.message).toMatch(/row 3/i)
    const projectsDir = path.join(core.home, 'projects')
    expect(fs.existsSync(projectsDir) ? fs.readdirSync(projectsDir) : []).toEqual([])
  })

  it('trains a project on its own files with its own settings', async () => {
    const datasetId = await importCsv()
    const created = await dispatchContractCall(core.handlers, 'projects.create', {
      name: 'Train me',
      data: { datasetId, mapping, split: { kind: 'none' }, dropInvalidRows: true },
      model,
      settings,
      estimate: fits
    })
    if (!created.ok) throw new Error(created.error.message)
    const project = created.value as { id: string; projectDir: string }
    const started = await core.handlers['projects.start-run']({ projectId: project.id })
    expect(started.projectId).toBe(project.id)
    expect(started.dataset).toBe('qa.csv')
    let run = core.runs.summary(started.id)
    for (let waited = 0; !['completed', 'failed', 'stopped'].includes(run.status) && waited < 150_000; waited += 500) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      run = core.runs.summary(started.id)
    }
    expect(run.failure).toBeNull()
    expect(run.status).toBe('completed')
    expect(run.lastStep).toBe(5)
    const copied = fs.readFileSync(path.join(run.runDir, 'train.jsonl'), 'utf8')
    expect(copied).toBe(fs.readFileSync(path.join(project.projectDir, 'data', 'train.jsonl'), 'utf8'))
  }, 180_000)
})

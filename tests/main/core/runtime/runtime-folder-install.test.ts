import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { createCore, type Core } from '../../../../src/main/core/create-core'
import { writeFakeRuntimePack } from '../../../helpers/fake-runtime-pack'
import { makeTempHome } from '../../../helpers/temp-home'

// runtime.install-from-folder (the set-up panel's "Install from a folder or USB disk") refuses a
// folder before anything is installed: made for another platform, damaged, or not a pack at all.
// Stand-in wheels keep this to a second or two; the real install is runtime-offline.test.ts.
const runtimeDir = path.resolve(__dirname, '../../../../python-runtime')
// A plain Python without torch as the runtime found now: its probe is quick, and it creates the venv.
const python = execFileSync(process.platform === 'win32' ? 'where' : 'which', ['python3'], { encoding: 'utf8' }).split(/\r?\n/)[0] as string

let core: Core
let home: string
let cleanup: () => void
let output: string[]

beforeEach(() => {
  const temp = makeTempHome()
  home = temp.home
  cleanup = temp.cleanup
  core = createCore({ home, env: { ...process.env, LOCALTUNE_HOME: home, LOCALTUNE_PYTHON: python } })
  output = []
  core.events.subscribe((name, payload) => {
    if (name === 'runtime.setup-output') output.push((payload as { text: string }).text)
  })
})

afterEach(() => {
  core.close()
  cleanup()
})

const venvDir = () => path.join(home, 'runtime', 'venv')

describe('runtime.install-from-folder', () => {
  it('refuses a folder packed for another platform, naming the folder and the mismatch, with nothing installed', async () => {
    const pack = path.join(home, 'usb', 'runtime-windows')
    await writeFakeRuntimePack(pack, { runtimeDir, python, platform: 'win_amd64' })
    const answer = await dispatchContractCall(core.handlers, 'runtime.install-from-folder', { folder: pack })
    expect(answer.ok).toBe(true)
    const result = (answer as { value: { ok: boolean; problem: string; capabilities: unknown } }).value
    expect(result.ok).toBe(false)
    expect(result.capabilities).toBeNull()
    expect(result.problem).toContain(`${pack} does not fit this machine; nothing was installed`)
    expect(result.problem).toContain('its platform is win_amd64, and 1 of its wheels do not fit this machine')
    expect(result.problem).toContain('torch-2.13.0-')
    expect(fs.existsSync(venvDir())).toBe(false)
    expect(output.join('')).toContain(`Installing the runtime from ${pack}`)
  })

  it('refuses a damaged copy, naming the file, before pip runs', async () => {
    const pack = path.join(home, 'usb', 'runtime')
    const wheel = 'localtune_stand_in-1.0-py3-none-any.whl'
    await writeFakeRuntimePack(pack, { runtimeDir, python, wheels: [wheel], damage: [wheel] })
    const result = await core.handlers['runtime.install-from-folder']({ folder: pack })
    expect(result.ok).toBe(false)
    expect(result.problem).toContain(`${pack} is not intact; nothing was installed`)
    expect(result.problem).toContain(`${wheel} has`)
    expect(fs.existsSync(venvDir())).toBe(false)
  })

  it('says what a folder without a manifest is, and asks for a full path', async () => {
    const empty = path.join(home, 'usb', 'photos')
    fs.mkdirSync(empty, { recursive: true })
    const result = await core.handlers['runtime.install-from-folder']({ folder: empty })
    expect(result.problem).toContain(`${empty} has no manifest.json: it is not a runtime pack`)
    const relative = await dispatchContractCall(core.handlers, 'runtime.install-from-folder', { folder: 'usb/runtime' })
    expect(relative).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('"usb/runtime" is not a full path') } })
  })
})

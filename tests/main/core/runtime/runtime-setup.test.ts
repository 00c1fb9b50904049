import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { setUpRuntime } from '../../../../src/main/core/runtime/runtime-setup'
import { makeTempHome } from '../../../helpers/temp-home'

describe('setUpRuntime', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  it('creates the venv, streams pip output, and explains a wheelhouse that lacks the packages', async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const runtimeDir = path.join(temp.home, 'python-runtime')
    const wheelhouse = path.join(temp.home, 'wheelhouse')
    fs.mkdirSync(runtimeDir)
    fs.mkdirSync(wheelhouse)
    fs.writeFileSync(path.join(runtimeDir, 'requirements-cpu.txt'), 'localtune-package-that-is-not-in-the-wheelhouse==1.0\n')
    let printed = ''
    const result = await setUpRuntime({
      basePython: '/usr/bin/python3',
      runtimeDir,
      venvDir: path.join(temp.home, 'runtime', 'venv'),
      flavour: 'cpu',
      wheelhouse,
      systemSitePackages: true,
      env: process.env,
      onOutput: (text) => {
        printed += text
      }
    })
    expect(fs.existsSync(path.join(temp.home, 'runtime', 'venv', 'bin', 'python'))).toBe(true)
    expect(printed).toContain('pip install')
    expect(printed).toContain('localtune-package-that-is-not-in-the-wheelhouse')
    expect(result.ok).toBe(false)
    expect(result.problem).toContain('requirements-cpu.txt')
  }, 120_000)

  it('says how to get python3-venv when the venv cannot be created', async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const result = await setUpRuntime({
      basePython: path.join(temp.home, 'no-such-python'),
      runtimeDir: temp.home,
      venvDir: path.join(temp.home, 'venv'),
      flavour: 'cpu',
      wheelhouse: null,
      systemSitePackages: false,
      env: process.env,
      onOutput: () => {}
    })
    expect(result.ok).toBe(false)
    expect(result.problem).toMatch(/python3-venv|LOCALTUNE_PYTHON/)
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { discoverPythonRuntime } from '../../../../src/main/core/runtime/python-discovery'
import { makeTempHome } from '../../../helpers/temp-home'

/** Writes an executable that answers `-m localtune_runtime probe` like a Python would: the answer on stdout, talk on stderr. */
function fakePython(dir: string, name: string, probe: object | string | null, exitCode = 0): string {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, name)
  const answer = typeof probe === 'string' ? probe : JSON.stringify(probe)
  const body = probe === null ? 'echo "No module named localtune_runtime" >&2' : `echo 'some warning from torch' >&2\necho '${answer}'`
  fs.writeFileSync(file, `#!/bin/sh\n${body}\nexit ${exitCode}\n`)
  fs.chmodSync(file, 0o755)
  return file
}

const withTorch = { python: '3.11.2', executable: '/x/python3', torch: '2.3.0', cuda_available: true, cuda_version: '12.1', gpus: [{ index: 0, name: 'NVIDIA RTX 4090', total_memory_bytes: 25757220864, free_memory_bytes: 25000000000, bf16_supported: true, compute_capability: '8.9' }], packages: { transformers: '4.44.0', peft: '0.12.0', bitsandbytes: null, accelerate: '0.33.0' }, error: null }
const withoutTorch = { ...withTorch, torch: null, cuda_available: false, gpus: [] }

describe('discoverPythonRuntime', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  function setup() {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const runtimeDir = path.join(temp.home, 'python-runtime')
    fs.mkdirSync(runtimeDir)
    return { home: temp.home, runtimeDir }
  }

  it('skips a python3 on PATH without torch and takes the next one that has it', async () => {
    const { home, runtimeDir } = setup()
    const first = path.join(home, 'bin-a')
    const second = path.join(home, 'bin-b')
    fakePython(first, 'python3', withoutTorch)
    const good = fakePython(second, 'python3', { ...withTorch, executable: path.join(second, 'python3') })
    const status = await discoverPythonRuntime({ env: { PATH: `${first}:${second}` }, home, runtimeDir })
    expect(status.found).toBe(true)
    expect(status.source).toBe('PATH')
    expect(status.executable).toBe(good)
    expect(status.gpus[0]).toMatchObject({ name: 'NVIDIA RTX 4090', bf16Supported: true })
    expect(status.tried.map((t) => t.outcome)).toEqual(['not present', 'not present', 'runs, but torch is not importable', 'selected'])
  })

  it('prefers LOCALTUNE_PYTHON, then the app venv, over PATH', async () => {
    const { home, runtimeDir } = setup()
    const onPath = path.join(home, 'bin')
    fakePython(onPath, 'python3', withTorch)
    const venv = fakePython(path.join(runtimeDir, '.venv', 'bin'), 'python', { ...withTorch, executable: 'venv-python' })
    expect((await discoverPythonRuntime({ env: { PATH: onPath }, home, runtimeDir })).source).toBe('app-venv')
    const chosen = fakePython(path.join(home, 'chosen'), 'python', { ...withTorch, executable: 'chosen-python' })
    const status = await discoverPythonRuntime({ env: { PATH: onPath, LOCALTUNE_PYTHON: chosen }, home, runtimeDir })
    expect(status.source).toBe('LOCALTUNE_PYTHON')
    expect(status.executable).toBe('chosen-python')
    expect(venv).toContain('.venv')
  })

  it('reports an explicit LOCALTUNE_PYTHON that cannot run the runtime, with the fix', async () => {
    const { home, runtimeDir } = setup()
    const broken = fakePython(path.join(home, 'broken'), 'python', null, 1)
    const status = await discoverPythonRuntime({ env: { PATH: '', LOCALTUNE_PYTHON: broken }, home, runtimeDir })
    expect(status.found).toBe(false)
    expect(status.problem).toContain('LOCALTUNE_PYTHON')
    expect(status.problem).toContain('No module named localtune_runtime')
    expect(status.fix).toMatch(/LOCALTUNE_PYTHON/)
  })

  it('reports a probe whose stdout is not one JSON object, with what it printed', async () => {
    const { home, runtimeDir } = setup()
    const noisy = fakePython(path.join(home, 'noisy'), 'python', 'loading CUDA...')
    const status = await discoverPythonRuntime({ env: { PATH: '', LOCALTUNE_PYTHON: noisy }, home, runtimeDir })
    expect(status.found).toBe(false)
    expect(status.problem).toContain('not one JSON object: loading CUDA...')
  })

  it('says what to do when nothing is found', async () => {
    const { home, runtimeDir } = setup()
    const status = await discoverPythonRuntime({ env: { PATH: '' }, home, runtimeDir })
    expect(status.found).toBe(false)
    expect(status.fix).toContain('npm run runtime:setup')
  })
})

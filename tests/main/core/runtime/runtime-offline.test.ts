import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installRuntimeFromFolder, offlinePipEnvironment, packMismatches, verifyPackFiles } from '../../../../src/main/core/runtime/runtime-install'
import { machineFacts, packRuntime, parseWheelName, pipPlatforms, type PackManifest } from '../../../../src/main/core/runtime/runtime-pack'

// The offline route, proven end to end: the CPU runtime (with pytest) is packed from the index
// pip is configured with, installed into a new venv with every index disabled, and the runtime's
// HF LoRA test (a random 2-layer Llama) trains in it. Packing is seconds against a local index;
// the install is the slow part (~2-3 minutes on 2 cores), done once.
const runtimeDir = path.resolve(__dirname, '../../../../python-runtime')
const basePython = process.env.LOCALTUNE_BASE_PYTHON ?? 'python3'
const devVenvPython = path.join(runtimeDir, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
const pipPython = fs.existsSync(devVenvPython) ? devVenvPython : basePython

let root = ''
let packDir = ''
let manifest: PackManifest

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-offline-'))
  packDir = path.join(root, 'pack')
  const progress: Array<[number, number | null]> = []
  const packed = await packRuntime({
    pipPython,
    runtimeDir,
    outDir: packDir,
    flavour: 'cpu',
    withTests: true,
    env: { ...process.env, PIP_RETRIES: '0' },
    onOutput: () => {},
    onProgress: (done, total) => progress.push([done, total])
  })
  manifest = packed.manifest
  // The total is known before the download and matches what arrived.
  expect(progress.length).toBeGreaterThan(0)
  expect(progress.at(-1)?.[1]).toBe(manifest.total_bytes)
}, 600_000)

// The pack and the venv are 1.5 GB: removing them takes longer than the default hook timeout on a busy disk.
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true })
}, 180_000)

describe('runtime pack', () => {
  it('writes a manifest with every wheel, its version, sha256 and size, for the target', () => {
    expect(manifest.target).toMatchObject({ flavour: 'cpu', implementation: 'cp', withTests: true })
    const names = manifest.packages.map((item) => item.name)
    for (const name of ['torch', 'transformers', 'peft', 'accelerate', 'safetensors', 'pytest']) expect(names).toContain(name)
    for (const item of manifest.packages) {
      expect(item.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(fs.statSync(path.join(packDir, item.file)).size).toBe(item.bytes)
    }
    expect(fs.readFileSync(path.join(packDir, 'README.txt'), 'utf8')).toContain('localtune runtime install --from')
    expect(fs.existsSync(path.join(packDir, 'requirements-cpu.txt'))).toBe(true)
  })

  it('passes every older manylinux tag to pip for a manylinux target', () => {
    expect(pipPlatforms('manylinux_2_28_x86_64')).toEqual(expect.arrayContaining(['manylinux_2_28_x86_64', 'manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'manylinux1_x86_64']))
    expect(pipPlatforms('manylinux_2_28_x86_64')).not.toContain('manylinux_2_29_x86_64')
    expect(pipPlatforms('win_amd64')).toEqual(['win_amd64'])
    expect(parseWheelName('torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl')).toEqual({ name: 'torch', version: '2.13.0+cpu', tags: ['cp311-cp311-manylinux_2_28_x86_64'] })
  })
})

describe('runtime install --from', () => {
  it('refuses a folder for another Python, platform or flavour, naming the mismatch', async () => {
    const machine = await machineFacts(basePython, process.env)
    expect(packMismatches(manifest, machine, runtimeDir, false)).toEqual([])
    const otherPython = { ...manifest, target: { ...manifest.target, python: '3.99' } }
    expect(packMismatches(otherPython, machine, runtimeDir, false).join('\n')).toContain(`it is for Python 3.99, and this machine's Python is ${machine.python}`)
    const cuda = { ...manifest, target: { ...manifest.target, flavour: 'cuda' as const } }
    expect(packMismatches(cuda, machine, runtimeDir, false).join('\n')).toContain('no NVIDIA driver')
    const windows = { ...manifest, target: { ...manifest.target, platform: 'win_amd64' }, packages: [...manifest.packages, { name: 'torch', version: '2.13.0', file: 'torch-2.13.0-cp311-cp311-win_amd64.whl', sha256: '0'.repeat(64), bytes: 1 }] }
    expect(packMismatches(windows, machine, runtimeDir, false).join('\n')).toContain('torch-2.13.0-cp311-cp311-win_amd64.whl')

    // Through the installer: refused before anything is made, and an existing venv is untouched.
    const wrongDir = path.join(root, 'wrong-python')
    fs.mkdirSync(wrongDir)
    fs.writeFileSync(path.join(wrongDir, 'manifest.json'), JSON.stringify(otherPython))
    const venvDir = path.join(root, 'untouched-venv')
    fs.mkdirSync(venvDir)
    fs.writeFileSync(path.join(venvDir, 'marker'), 'old runtime')
    const result = await installRuntimeFromFolder({ from: wrongDir, basePython, runtimeDir, venvDir, hasNvidiaGpu: false, env: process.env, onOutput: () => {} })
    expect(result.ok).toBe(false)
    expect(result.problem).toContain('does not fit this machine; nothing was installed')
    expect(result.problem).toContain('Python 3.99')
    expect(fs.readdirSync(venvDir)).toEqual(['marker'])
  })

  it('refuses a damaged, missing or unlisted file', async () => {
    const copy = path.join(root, 'damaged')
    fs.mkdirSync(copy)
    const [first, second] = manifest.packages.filter((item) => item.bytes < 5_000_000)
    fs.copyFileSync(path.join(packDir, first!.file), path.join(copy, first!.file))
    const bytes = fs.readFileSync(path.join(copy, first!.file))
    bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1)
    fs.writeFileSync(path.join(copy, first!.file), bytes)
    fs.writeFileSync(path.join(copy, 'extra-1.0-py3-none-any.whl'), 'x')
    const problems = await verifyPackFiles(copy, { ...manifest, packages: [first!, second!] })
    expect(problems).toEqual([`${first!.file} does not match its sha256 in the manifest (changed or damaged)`, `${second!.file} is missing`, 'extra-1.0-py3-none-any.whl is not in the manifest'])
  })

  it('keeps every pip configuration and index away from the install', () => {
    const env = offlinePipEnvironment({ PATH: '/bin', PIP_INDEX_URL: 'http://example.invalid/simple', PIP_FIND_LINKS: '/elsewhere', pip_extra_index_url: 'x' })
    expect(env).toEqual({ PATH: '/bin', PIP_CONFIG_FILE: process.platform === 'win32' ? 'NUL' : '/dev/null', PIP_NO_INDEX: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' })
  })

  it('installs the packed runtime into a new venv with no index, and the HF test model trains with it', async () => {
    const venvDir = path.join(root, 'home', 'runtime', 'venv')
    // An index that does not exist: were it consulted, pip would fail.
    const env = { ...process.env, PIP_INDEX_URL: 'http://127.0.0.1:9/simple', PIP_EXTRA_INDEX_URL: 'http://127.0.0.1:9/simple' }
    let output = ''
    const result = await installRuntimeFromFolder({ from: packDir, basePython, runtimeDir, venvDir, hasNvidiaGpu: false, env, onOutput: (text) => (output += text) })
    expect(result.problem, output.slice(-3000)).toBeNull()
    expect(result.ok).toBe(true)
    expect(result.capabilities).toMatchObject({ cpu: true, cuda: false, lora: true, full: true, qlora: false })
    expect(output).toContain('--no-index')
    const lock = JSON.parse(fs.readFileSync(path.join(venvDir, 'localtune-runtime.lock.json'), 'utf8')) as { flavour: string; packages: Record<string, string> }
    expect(lock.flavour).toBe('cpu')
    expect(lock.packages.torch).toBe(manifest.packages.find((item) => item.name === 'torch')?.version)

    const python = path.join(venvDir, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
    const trained = spawnSync(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/test_hf_backend.py::test_lora_trains_and_saves_an_adapter_peft_loads'], {
      cwd: runtimeDir,
      env: { ...process.env, PYTHONPATH: runtimeDir, HF_HUB_OFFLINE: '1' },
      encoding: 'utf8',
      timeout: 480_000
    })
    expect(trained.status, `${trained.stdout}\n${trained.stderr}`.slice(-3000)).toBe(0)
    expect(trained.stdout).toMatch(/1 passed/)
  }, 900_000)
})

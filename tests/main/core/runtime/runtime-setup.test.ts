import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { indexesPipUsed, pipEnvironment, setUpRuntime, type RuntimeSetupOptions } from '../../../../src/main/core/runtime/runtime-setup'
import { makeTempHome } from '../../../helpers/temp-home'

// Real pip in real venvs, but hermetic: no pip configuration of this machine (its indexes, find-links)
// reaches these tests, so what they install comes only from the wheelhouse or index they name.
const basePython = process.env.LOCALTUNE_BASE_PYTHON ?? 'python3'
const hermeticEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PIP_')))
hermeticEnv.PIP_CONFIG_FILE = os.devNull
const realRuntime = path.resolve(__dirname, '../../../../python-runtime/localtune_runtime')

/** A minimal valid wheel (pure Python, no dependencies), built with the standard library. */
function buildWheel(wheelhouse: string, name: string, version: string): void {
  const script = `
import base64, hashlib, sys, zipfile
name, version, out = sys.argv[1:4]
info = f"{name}-{version}.dist-info"
files = {f"{name}/__init__.py": f"VERSION = {version!r}\\n",
         f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
         f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: localtune-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
record = []
with zipfile.ZipFile(f"{out}/{name}-{version}-py3-none-any.whl", "w") as wheel:
    for member, text in files.items():
        data = text.encode()
        wheel.writestr(member, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    wheel.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
`
  const built = spawnSync(basePython, ['-c', script, name, version, wheelhouse], { encoding: 'utf8' })
  expect(built.status, built.stderr).toBe(0)
}

/** A runtime folder like python-runtime/: the requirement files given, and the real localtune_runtime package (the lock is written by it). */
function makeRuntimeDir(root: string, requirements: Record<string, string>): string {
  const runtimeDir = path.join(root, 'python-runtime')
  fs.mkdirSync(runtimeDir, { recursive: true })
  fs.cpSync(realRuntime, path.join(runtimeDir, 'localtune_runtime'), { recursive: true, filter: (source) => !source.includes('__pycache__') })
  for (const [name, text] of Object.entries(requirements)) fs.writeFileSync(path.join(runtimeDir, name), text)
  return runtimeDir
}

function venvPython(venvDir: string): string {
  return path.join(venvDir, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
}

function readLock(venvDir: string): { flavour: string; packages: Record<string, string>; requirements: Array<{ file: string; lines: string[] }> } {
  return JSON.parse(fs.readFileSync(path.join(venvDir, 'localtune-runtime.lock.json'), 'utf8'))
}

function options(overrides: Partial<RuntimeSetupOptions> & Pick<RuntimeSetupOptions, 'runtimeDir' | 'venvDir'>): RuntimeSetupOptions & { printed(): string } {
  let printed = ''
  return {
    basePython,
    flavour: 'cpu',
    wheelhouse: null,
    systemSitePackages: false,
    env: hermeticEnv,
    onOutput: (text) => {
      printed += text
    },
    printed: () => printed,
    ...overrides
  }
}

describe('setUpRuntime with real pip', () => {
  let temp: ReturnType<typeof makeTempHome>
  let wheelhouse: string
  beforeAll(() => {
    temp = makeTempHome()
    wheelhouse = path.join(temp.home, 'wheelhouse')
    fs.mkdirSync(wheelhouse)
    buildWheel(wheelhouse, 'localtune_tiny', '1.0')
    buildWheel(wheelhouse, 'localtune_tiny', '2.0')
    buildWheel(wheelhouse, 'localtune_tiny_test_tool', '3.1')
  })
  afterAll(() => temp.cleanup())

  it('installs from a wheelhouse, records the exact versions, and leaves a venv that matches them alone', async () => {
    const runtimeDir = makeRuntimeDir(path.join(temp.home, 'a'), {
      'requirements-cpu.txt': '# tested range\nlocaltune-tiny>=1,<2\n',
      'requirements-test.txt': 'localtune-tiny-test-tool>=3,<4\n'
    })
    const venvDir = path.join(temp.home, 'a', 'venv')

    const first = options({ runtimeDir, venvDir, wheelhouse, withTests: true })
    const created = await setUpRuntime(first)
    expect(created.problem).toBeNull()
    expect(created).toMatchObject({ ok: true, python: venvPython(venvDir), changed: true, lockPath: path.join(venvDir, 'localtune-runtime.lock.json') })
    expect(first.printed()).toMatch(/pip install --no-index --find-links \S+ -r \S+requirements-cpu\.txt -r \S+requirements-test\.txt/)
    const lock = readLock(venvDir)
    expect(lock.flavour).toBe('cpu')
    expect(lock.packages).toMatchObject({ 'localtune-tiny': '1.0', 'localtune-tiny-test-tool': '3.1' })
    expect(lock.requirements).toEqual([
      { file: 'requirements-cpu.txt', lines: ['localtune-tiny>=1,<2'] },
      { file: 'requirements-test.txt', lines: ['localtune-tiny-test-tool>=3,<4'] }
    ])
    const imported = spawnSync(venvPython(venvDir), ['-c', 'import localtune_tiny; print(localtune_tiny.VERSION)'], { encoding: 'utf8' })
    expect(imported.stdout.trim()).toBe('1.0')

    // Nothing changed: nothing is installed (CI runs the set-up before every test run).
    const again = options({ runtimeDir, venvDir, wheelhouse, withTests: true })
    expect(await setUpRuntime(again)).toMatchObject({ ok: true, changed: false })
    expect(again.printed()).toContain('nothing to install')
    expect(again.printed()).not.toContain('pip install')

    // A set-up without the test requirements is not what this venv was made from.
    const withoutTests = options({ runtimeDir, venvDir, wheelhouse })
    expect(await setUpRuntime(withoutTests)).toMatchObject({ ok: true, changed: true })
    expect(withoutTests.printed()).toContain('it was set up from requirements-cpu.txt, requirements-test.txt, not requirements-cpu.txt')

    // A new range brings the venv up to it, and the lock follows.
    fs.writeFileSync(path.join(runtimeDir, 'requirements-cpu.txt'), 'localtune-tiny>=2,<3\n')
    const upgraded = options({ runtimeDir, venvDir, wheelhouse })
    expect(await setUpRuntime(upgraded)).toMatchObject({ ok: true, changed: true })
    expect(upgraded.printed()).toContain('requirements-cpu.txt changed since it was set up')
    expect(readLock(venvDir).packages['localtune-tiny']).toBe('2.0')

    // A fresh build that fails gives the previous venv back, lock and all.
    fs.writeFileSync(path.join(runtimeDir, 'requirements-cpu.txt'), 'localtune-tiny>=2,<3\nlocaltune-not-in-the-wheelhouse==1.0\n')
    const fresh = options({ runtimeDir, venvDir, wheelhouse, fresh: true })
    const failed = await setUpRuntime(fresh)
    expect(failed.ok).toBe(false)
    expect(failed.problem).toContain(`The wheelhouse ${wheelhouse} has no wheel for localtune-not-in-the-wheelhouse==1.0`)
    expect(failed.problem).toContain(`The previous runtime is back in ${venvDir}`)
    expect(readLock(venvDir).packages['localtune-tiny']).toBe('2.0')
    expect(fs.existsSync(`${venvDir}.previous`)).toBe(false)
    expect(spawnSync(venvPython(venvDir), ['-c', 'import localtune_tiny'], { encoding: 'utf8' }).status).toBe(0)

    // A fresh build killed half way: the finished venv (the one with a lock) is the one kept.
    fs.writeFileSync(path.join(runtimeDir, 'requirements-cpu.txt'), 'localtune-tiny>=2,<3\n')
    fs.renameSync(venvDir, `${venvDir}.previous`)
    fs.mkdirSync(path.join(venvDir, 'lib'), { recursive: true })
    const recovered = options({ runtimeDir, venvDir, wheelhouse })
    expect(await setUpRuntime(recovered)).toMatchObject({ ok: true, changed: false })
    expect(fs.existsSync(`${venvDir}.previous`)).toBe(false)
    expect(readLock(venvDir).packages['localtune-tiny']).toBe('2.0')
  }, 180_000)

  it('removes a venv it created when the install fails, and names what the wheelhouse lacks', async () => {
    const runtimeDir = makeRuntimeDir(path.join(temp.home, 'b'), { 'requirements-cpu.txt': 'localtune-not-in-the-wheelhouse>=1\n' })
    const venvDir = path.join(temp.home, 'b', 'venv')
    const run = options({ runtimeDir, venvDir, wheelhouse })
    const result = await setUpRuntime(run)
    expect(run.printed()).toContain('localtune-not-in-the-wheelhouse')
    expect(result).toMatchObject({ ok: false, python: null, lockPath: null })
    expect(result.problem).toMatch(/has no wheel for localtune-not-in-the-wheelhouse>=1 .*pip download -r \S+requirements-cpu\.txt -d wheelhouse/)
    expect(fs.existsSync(venvDir)).toBe(false)
  }, 120_000)

  describe('without a wheelhouse', () => {
    let runtimeDir: string
    let venvDir: string
    beforeAll(() => {
      runtimeDir = makeRuntimeDir(path.join(temp.home, 'c'), { 'requirements-cpu.txt': 'localtune-no-such-package>=1,<2\n' })
      // An existing venv without a lock, as a hand-made one would be: the set-up installs into it.
      venvDir = path.join(temp.home, 'c', 'venv')
      const made = spawnSync(basePython, ['-m', 'venv', venvDir], { encoding: 'utf8' })
      expect(made.status, made.stderr).toBe(0)
    }, 60_000)

    it('says plainly that no index answered, with the ways on', async () => {
      // Loopback port 9 (discard) refuses at once: an index that is not there.
      const run = options({ runtimeDir, venvDir, env: { ...hermeticEnv, PIP_INDEX_URL: 'http://127.0.0.1:9/simple' } })
      const result = await setUpRuntime(run)
      expect(run.printed()).toContain('it has no lock file')
      expect(result.ok).toBe(false)
      expect(result.problem).toMatch(/^No package index answered, so pip could not get localtune-no-such-package(<2,>=1|>=1,<2)\.\n {2}http:\/\/127\.0\.0\.1:9\/simple: .*refused/i)
      expect(result.problem).toContain('--extra-index-url https://download.pytorch.org/whl/cpu')
      expect(result.problem).toContain('npm run runtime:setup -- --cpu --wheelhouse /path/to/wheelhouse')
      expect(result.problem).toContain(`pip download -r ${path.join(runtimeDir, 'requirements-cpu.txt')} -d wheelhouse`)
      expect(result.problem).toContain('LOCALTUNE_PYTHON')
      expect(result.problem).toContain('if it is broken, rebuild it: `npm run runtime:setup -- --cpu --fresh`')
      expect(fs.existsSync(venvPython(venvDir))).toBe(true) // not ours to remove
    }, 120_000)

    it('says when an index answered but has no release of the package', async () => {
      const emptyIndex = path.join(temp.home, 'c', 'empty-index')
      fs.mkdirSync(emptyIndex)
      const run = options({ runtimeDir, venvDir, pipOptions: ['--index-url', pathToFileURL(emptyIndex).href] })
      const result = await setUpRuntime(run)
      expect(run.printed()).toContain(`Looking in indexes: ${pathToFileURL(emptyIndex).href}`)
      expect(result.ok).toBe(false)
      expect(result.problem).toMatch(/^The package index answered but has no release of localtune-no-such-package(<2,>=1|>=1,<2) that fits requirements-cpu\.txt/)
      expect(result.problem).not.toContain('did not answer')
    }, 120_000)
  })

  it('says how to get python3-venv when the venv cannot be created', async () => {
    const runtimeDir = makeRuntimeDir(path.join(temp.home, 'd'), { 'requirements-cpu.txt': 'localtune-tiny\n' })
    const result = await setUpRuntime(options({ runtimeDir, venvDir: path.join(temp.home, 'd', 'venv'), basePython: path.join(temp.home, 'no-such-python') }))
    expect(result.ok).toBe(false)
    expect(result.problem).toContain('python3-venv')
    expect(result.problem).toContain('LOCALTUNE_PYTHON')
    expect(fs.existsSync(path.join(temp.home, 'd', 'venv'))).toBe(false)
  })

  it('names a missing requirement file before touching anything', async () => {
    const runtimeDir = makeRuntimeDir(path.join(temp.home, 'e'), { 'requirements-cpu.txt': 'localtune-tiny\n' })
    const result = await setUpRuntime(options({ runtimeDir, venvDir: path.join(temp.home, 'e', 'venv'), withTests: true }))
    expect(result.problem).toContain(`${path.join(runtimeDir, 'requirements-test.txt')} is missing`)
    expect(fs.existsSync(path.join(temp.home, 'e', 'venv'))).toBe(false)
  })
})

describe('pipEnvironment', () => {
  it('makes pip fail fast unless the user chose otherwise', () => {
    expect(pipEnvironment({ PATH: '/bin' })).toMatchObject({ PATH: '/bin', PIP_RETRIES: '0', PIP_DEFAULT_TIMEOUT: '10' })
    expect(pipEnvironment({ PIP_RETRIES: '3', PIP_DEFAULT_TIMEOUT: '60', PIP_INDEX_URL: 'https://mirror/simple' })).toMatchObject({
      PIP_RETRIES: '3',
      PIP_DEFAULT_TIMEOUT: '60',
      PIP_INDEX_URL: 'https://mirror/simple'
    })
  })
})

describe('indexesPipUsed', () => {
  it('reads the indexes pip printed, and PyPI when it printed none', () => {
    expect(indexesPipUsed('Looking in indexes: https://a.example/simple, file:///srv/simple\nERROR: ...')).toEqual(['https://a.example/simple', 'file:///srv/simple'])
    expect(indexesPipUsed('ERROR: No matching distribution found for torch')).toEqual(['https://pypi.org/simple'])
  })
})

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { doctorCommand } from '../../../../src/main/cli/commands/doctor'
import { collectingIo, makeTempHome } from '../../../helpers/temp-home'
import { testPython } from '../../../helpers/training-home'

describe('localtune doctor', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  it('reports every part of the machine with the real runtime found through the pty', async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const { io, out } = collectingIo()
    const env = { ...process.env, LOCALTUNE_HOME: temp.home }
    const code = await doctorCommand.run(['--json'], io, { env, cwd: temp.home, home: temp.home, interrupted: new Promise(() => {}) })
    const report = JSON.parse(out.join('\n'))
    expect(report.home.path).toBe(temp.home)
    expect(report.database).toMatchObject({ schemaVersion: report.database.latestVersion, journalMode: 'wal' })
    expect(report.checks.map((check: { id: string }) => check.id)).toEqual(['node', 'home', 'database', 'gpus', 'python', 'runtime-lock', 'electron'])
    // npm test's prerequisites include a Python with torch: discovery must find it.
    expect(report.python.found).toBe(true)
    expect(report.python.torchVersion).toMatch(/^\d+\.\d+/)
    expect(report.python.tried.at(-1).outcome).toMatch(/^selected/)
    expect(code).toBe(report.checks.some((check: { level: string }) => check.level === 'error') ? 1 : 0)
  }, 120_000)

  it('prints each check with its fix in words', async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const { io, out } = collectingIo()
    // No Python anywhere: none on PATH, none chosen, and a runtime folder without a venv.
    const env = { ...process.env, LOCALTUNE_HOME: temp.home, PATH: '', LOCALTUNE_PYTHON: '', LOCALTUNE_RUNTIME_DIR: temp.home }
    await doctorCommand.run([], io, { env, cwd: temp.home, home: temp.home, interrupted: new Promise(() => {}) })
    const text = out.join('\n')
    expect(text).toContain('Training runtime')
    expect(text).toMatch(/\[FAIL\] Training runtime: No Python with torch/)
    expect(text).toContain('fix: Run `npm run runtime:setup`')
    expect(text).not.toContain('Runtime versions') // nothing to say about a runtime that is not there
  }, 120_000)

  it('shows the runtime lock that setup-runtime wrote, and the versions that changed since', async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    // A real venv (no pip: fast), with its lock written by the runtime's own writer.
    const venvDir = path.join(temp.home, 'venv')
    expect(spawnSync(testPython, ['-m', 'venv', '--without-pip', venvDir]).status).toBe(0)
    const python = path.join(venvDir, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
    // The doctor reads a lock only for a runtime that has torch: see the test runtime's packages
    // through a .pth file (a venv made from a venv does not inherit them).
    const paths = (py: string) => spawnSync(py, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).stdout.trim()
    fs.writeFileSync(path.join(paths(python), 'localtune-test-runtime.pth'), `${paths(testPython)}\n`)
    const runtimeDir = path.resolve(__dirname, '../../../../python-runtime')
    const written = spawnSync(python, ['-m', 'localtune_runtime.runtime_lock', 'write', '--flavour', 'cpu', path.join(runtimeDir, 'requirements-cpu.txt')], { cwd: runtimeDir, encoding: 'utf8' })
    expect(written.status, written.stderr).toBe(0)
    const lockFile = path.join(venvDir, 'localtune-runtime.lock.json')
    const env = { ...process.env, LOCALTUNE_HOME: temp.home, LOCALTUNE_PYTHON: python }
    const doctor = async () => {
      const { io, out } = collectingIo()
      await doctorCommand.run(['--json'], io, { env, cwd: temp.home, home: temp.home, interrupted: new Promise(() => {}) })
      return JSON.parse(out.join('\n')).checks.find((check: { id: string }) => check.id === 'runtime-lock')
    }

    const matching = await doctor()
    expect(matching).toMatchObject({ label: 'Runtime versions', level: 'ok', fix: null })
    expect(matching.detail).toContain(`(cpu, set up ${JSON.parse(fs.readFileSync(lockFile, 'utf8')).created_at}; lock ${lockFile})`)

    // The lock names another torch than the venv has: someone changed it after set-up.
    const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'))
    fs.writeFileSync(lockFile, JSON.stringify({ ...lock, packages: { ...lock.packages, torch: '1.0.0' } }))
    const changed = await doctor()
    expect(changed.level).toBe('warning')
    expect(changed.detail).toMatch(/^Changed since set-up: torch .*\(locked 1\.0\.0\)/)
    expect(changed.fix).toContain('npm run runtime:setup -- --cpu')

    fs.writeFileSync(lockFile, '{"lock_version": 1')
    expect(await doctor()).toMatchObject({ level: 'warning', detail: expect.stringContaining(`${lockFile} is not valid JSON`) })

    fs.rmSync(lockFile)
    const none = await doctor()
    // A Python the user chose is theirs: no lock is fine, and said.
    expect(none).toMatchObject({ level: 'ok', fix: null })
    expect(none.detail).toContain('not set up by `localtune setup-runtime`')
  }, 120_000)
})

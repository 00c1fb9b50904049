import { afterEach, describe, expect, it } from 'vitest'
import { doctorCommand } from '../../../../src/main/cli/commands/doctor'
import { collectingIo, makeTempHome } from '../../../helpers/temp-home'

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
    expect(report.checks.map((check: { id: string }) => check.id)).toEqual(['node', 'home', 'database', 'gpus', 'python', 'electron'])
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
    await doctorCommand.run([], io, { env: { ...process.env, LOCALTUNE_HOME: temp.home, PATH: '', LOCALTUNE_PYTHON: '' }, cwd: temp.home, home: temp.home, interrupted: new Promise(() => {}) })
    const text = out.join('\n')
    expect(text).toContain('Training runtime')
    expect(text).toMatch(/\[FAIL\] Training runtime: No Python with torch/)
    expect(text).toContain('fix: Run `npm run runtime:setup`')
  }, 120_000)
})

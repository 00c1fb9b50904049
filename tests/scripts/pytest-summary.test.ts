import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { makeTempHome } from '../helpers/temp-home'

// npm test's Python: LOCALTUNE_PYTHON (npm test sets it to the runtime venv), else that venv.
const root = path.resolve(__dirname, '..', '..')
const python = process.env.LOCALTUNE_PYTHON || path.join(root, 'python-runtime', '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')

/** Runs scripts/pytest-summary.mjs on a report, as npm test does (the script is plain JavaScript). */
function summarise(report: string): { passed: number; failed: number; skipped: number; skippedModules: Array<{ file: string; reason: string; tests: number }> } {
  const script = `import('./scripts/pytest-summary.mjs').then((m) => console.log(JSON.stringify(m.readPytestReport(process.argv[1], process.argv[2]))))`
  const result = spawnSync(process.execPath, ['-e', script, report, python], { cwd: root, encoding: 'utf8' })
  expect(result.stderr).toBe('')
  return JSON.parse(result.stdout)
}

describe("npm test's pytest summary", () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  it('counts every test of a module skipped at import, not one', () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    fs.writeFileSync(path.join(temp.home, 'test_whole_module_skipped.py'), [
      'import pytest',
      'pytest.skip("needs a package this Python lacks", allow_module_level=True)',
      'def test_a(): pass',
      '@pytest.mark.parametrize("x", [1, 2, 3])',
      'def test_b(x): pass',
      '@pytest.mark.parametrize("x, y", argvalues=[(1, 2), (3, 4)])',
      '@pytest.mark.parametrize("z", [0, 1])',
      'def test_c(x, y, z): pass',
      'class TestD:',
      '    def test_d(self): pass',
      'def helper(): pass',
      ''
    ].join('\n'))
    fs.writeFileSync(path.join(temp.home, 'test_runs.py'), [
      'import pytest',
      'def test_passes(): pass',
      'def test_fails(): assert False',
      '@pytest.mark.skip(reason="one test")',
      'def test_skipped(): pass',
      ''
    ].join('\n'))
    const report = path.join(temp.home, 'report.xml')
    spawnSync(python, ['-m', 'pytest', '-q', temp.home, `--junitxml=${report}`, '-p', 'no:cacheprovider'], { cwd: temp.home, encoding: 'utf8' })

    const summary = summarise(report)
    // 1 + 3 + 2 * 2 + 1 = 9 tests in the skipped module, plus the one skipped test.
    expect(summary).toMatchObject({ passed: 1, failed: 1, skipped: 10 })
    expect(summary.skippedModules).toEqual([
      { file: path.join(temp.home, 'test_whole_module_skipped.py'), reason: 'needs a package this Python lacks', tests: 9 }
    ])
  }, 60_000)
})

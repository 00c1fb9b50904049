// `npm test`: every check the project has, in the order that fails fastest, ending with one
// countable line. Prerequisites are checked first so a missing tool fails at once with its fix.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findTestPython } from './find-test-python.mjs'
import { readPytestReport } from './pytest-summary.mjs'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const only = process.argv.slice(2)
const chromium = process.env.LOCALTUNE_CHROMIUM ?? '/usr/bin/chromium'

function fail(message) {
  console.error(`\nnpm test cannot run: ${message}`)
  console.log('0 passed, 1 failed')
  process.exit(1)
}

// The runtime venv (or LOCALTUNE_PYTHON) runs the Python suite and the unit tests that train; the
// e2e suite's app finds the venv itself, as it would for a user.
const { python, problem } = findTestPython(root)
if (!python) fail(problem)
if (!fs.existsSync(chromium)) fail(`Chromium is missing at ${chromium}. Install it: sudo apt-get install -y chromium (or set LOCALTUNE_CHROMIUM).`)

const totals = { passed: 0, failed: 0, skipped: 0 }
const failedStages = []
// Seconds per stage, printed at the end: CI has a time budget and this says where it goes.
const stageSeconds = []

function run(stage, command, args, options = {}) {
  if (only.length && !only.includes(stage)) return null
  console.log(`\n=== ${stage}: ${[command, ...args].join(' ')}`)
  const started = Date.now()
  const result = spawnSync(command, args, { cwd: options.cwd ?? root, stdio: 'inherit', env: { ...process.env, ...options.env } })
  stageSeconds.push(`${stage} ${Math.round((Date.now() - started) / 1000)} s`)
  const ok = result.status === 0
  if (!ok) failedStages.push(stage)
  return ok
}

// Two single-threaded checks at once, on CI's two cores; each one's output is printed whole when
// it ends, so the two never interleave.
async function runTogether(stages) {
  const chosen = stages.filter(({ stage }) => !only.length || only.includes(stage))
  const results = await Promise.all(
    chosen.map(({ stage, command, args }) => new Promise((resolve) => {
      const started = Date.now()
      const child = spawn(command, args, { cwd: root, env: process.env })
      const output = []
      child.stdout.on('data', (chunk) => output.push(chunk))
      child.stderr.on('data', (chunk) => output.push(chunk))
      child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)))
      child.on('close', (code) => {
        console.log(`\n=== ${stage}: ${[command, ...args].join(' ')}`)
        process.stdout.write(Buffer.concat(output))
        stageSeconds.push(`${stage} ${Math.round((Date.now() - started) / 1000)} s`)
        if (code !== 0) failedStages.push(stage)
        resolve([stage, code === 0])
      })
    }))
  )
  return new Map(results)
}

function countStage(stage, ok) {
  if (ok === null) return
  if (ok) totals.passed += 1
  else totals.failed += 1
  void stage
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'localtune-test-'))
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'

// Static checks count as one check each.
const staticChecks = await runTogether([
  { stage: 'typecheck', command: 'npm', args: ['run', '--silent', 'typecheck'] },
  { stage: 'lint', command: 'npm', args: ['run', '--silent', 'lint'] }
])
for (const [stage, ok] of staticChecks) countStage(stage, ok)

// Unit tests report their own counts.
const vitestReport = path.join(tmp, 'vitest.json')
const unitOk = run('unit', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`], {
  env: { LOCALTUNE_PYTHON: python }
})
if (unitOk !== null) {
  try {
    const report = JSON.parse(fs.readFileSync(vitestReport, 'utf8'))
    totals.passed += report.numPassedTests
    // A file that fails to load has no failed tests; count it once so a broken suite is never silent.
    totals.failed += report.numFailedTests || (unitOk ? 0 : Math.max(1, report.numFailedTestSuites ?? 0))
    totals.skipped += report.numPendingTests + (report.numTodoTests ?? 0)
  } catch {
    totals.failed += unitOk ? 0 : 1
  }
}

const pytestReport = path.join(tmp, 'pytest.xml')
const pythonOk = run('python', python, ['-m', 'pytest', '-q', 'tests', `--junitxml=${pytestReport}`, '-p', 'no:cacheprovider'], {
  cwd: path.join(root, 'python-runtime'),
  env: { LOCALTUNE_PYTHON: python }
})
if (pythonOk !== null) {
  try {
    const report = readPytestReport(pytestReport, python)
    totals.passed += report.passed
    totals.failed += report.failed
    totals.skipped += report.skipped
    for (const module of report.skippedModules) {
      console.log(`\nSkipped as a whole module: ${path.relative(root, module.file) || module.file} (${module.tests} tests): ${module.reason}`)
    }
  } catch (error) {
    console.error(`Could not read the pytest report: ${error.message}`)
    totals.failed += pythonOk ? 0 : 1
  }
}

countStage('build', run('build', 'npm', ['run', '--silent', 'build']))

const e2eReport = path.join(tmp, 'e2e.json')
const e2eOk = run('e2e', npx, ['playwright', 'test', '-c', 'e2e/playwright.config.ts'], {
  env: { PLAYWRIGHT_JSON_OUTPUT_NAME: e2eReport, LOCALTUNE_CHROMIUM: chromium }
})
if (e2eOk !== null) {
  try {
    const stats = JSON.parse(fs.readFileSync(e2eReport, 'utf8')).stats
    totals.passed += stats.expected + (stats.flaky ?? 0)
    totals.failed += stats.unexpected
    totals.skipped += stats.skipped
  } catch {
    totals.failed += e2eOk ? 0 : 1
  }
}

fs.rmSync(tmp, { recursive: true, force: true })
console.log(`\nStage times: ${stageSeconds.join(', ')}`)
if (failedStages.length) console.log(`\nFailed stages: ${failedStages.join(', ')}`)
if (failedStages.length && totals.failed === 0) totals.failed = failedStages.length
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(failedStages.length ? 1 : 0)

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

// Stages side by side, on CI's two cores; each one's output is printed whole when it ends, so
// they never interleave. A stage given as a list of steps runs its steps in turn and stops at the
// first that fails.
async function runTogether(stages) {
  const chosen = stages.filter(({ stage }) => !only.length || only.includes(stage))
  const results = await Promise.all(chosen.map(async ({ stage, steps }) => {
    const started = Date.now()
    const output = []
    let ok = true
    for (const { command, args, cwd, env } of steps) {
      output.push(Buffer.from(`\n=== ${stage}: ${[command, ...args].join(' ')}\n`))
      ok = await new Promise((resolve) => {
        const child = spawn(command, args, { cwd: cwd ?? root, env: { ...process.env, ...env } })
        child.stdout.on('data', (chunk) => output.push(chunk))
        child.stderr.on('data', (chunk) => output.push(chunk))
        child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)))
        child.on('close', (code) => resolve(code === 0))
      })
      if (!ok) break
    }
    process.stdout.write(Buffer.concat(output))
    stageSeconds.push(`${stage} ${Math.round((Date.now() - started) / 1000)} s`)
    if (!ok) failedStages.push(stage)
    return [stage, ok]
  }))
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
  { stage: 'typecheck', steps: [{ command: 'npm', args: ['run', '--silent', 'typecheck'] }] },
  { stage: 'lint', steps: [{ command: 'npm', args: ['run', '--silent', 'lint'] }] }
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

// The Python suite (one process, mostly compute) runs beside the build and the browser suite
// (mostly waiting on the app and Chromium): together they take about the longer of the two.
// Its torch gets one thread (OMP_NUM_THREADS, inherited by the runtimes it starts), so the
// browser suite's app and its own training runs keep the other core.
const pytestReport = path.join(tmp, 'pytest.xml')
const e2eReport = path.join(tmp, 'e2e.json')
const lateStages = await runTogether([
  {
    stage: 'python',
    steps: [{
      command: python,
      args: ['-m', 'pytest', '-q', 'tests', `--junitxml=${pytestReport}`, '-p', 'no:cacheprovider'],
      cwd: path.join(root, 'python-runtime'),
      env: { LOCALTUNE_PYTHON: python, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1' }
    }]
  },
  {
    stage: 'e2e',
    steps: [
      { command: 'npm', args: ['run', '--silent', 'build'] },
      { command: npx, args: ['playwright', 'test', '-c', 'e2e/playwright.config.ts'], env: { PLAYWRIGHT_JSON_OUTPUT_NAME: e2eReport, LOCALTUNE_CHROMIUM: chromium } }
    ]
  }
])

const pythonOk = lateStages.get('python') ?? null
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

const e2eOk = lateStages.get('e2e') ?? null
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

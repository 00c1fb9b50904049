/**
 * `npx tsx scripts/bench/live-chart.ts [--events 50] [--points 100000] [--frame-seconds 10]`:
 * how long a training event takes from a line appended to a run's events.jsonl to its point
 * drawn on the Train screen's loss chart, in Chromium against the browser host, and whether a
 * chart holding 100,000 points keeps redrawing at frame rate while points keep arriving.
 *
 * Needs a build (`npx electron-vite build`), /usr/bin/chromium (or LOCALTUNE_CHROMIUM) and a
 * Python with torch (the runtime probe must pass). The whole app path is real: `localtune
 * serve`, the demo started from the welcome screen, the supervisor's events tail (fs.watch +
 * poll), zod validation, the SQLite upsert, the WebSocket push, the renderer's store and
 * typed-array buffers, the per-frame uPlot redraw. Only the trainer is replaced: the run's
 * runtime is a stand-in package (LOCALTUNE_RUNTIME_DIR) whose `train` waits for `stop` while
 * this script writes schema-valid events itself, so it controls exactly when each line lands
 * (its `probe` is the real one).
 *
 * Latency = when the chart's draw hook has drawn the step (a MutationObserver on data-last-step,
 * Date.now() in the page) − when this script appended the line (Date.now(), same clock).
 * Frame time = gaps between requestAnimationFrame callbacks while events arrive at 10/s;
 * redraw = the chart's own cost per redraw (downsample + uPlot setData + draw, data-draw-ms).
 */
import { chromium } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50' },
    points: { type: 'string', default: '100000' },
    'frame-seconds': { type: 'string', default: '10' }
  },
  strict: true
})
const latencyEvents = Number(values.events)
const bulkPoints = Number(values.points)
const frameSeconds = Number(values['frame-seconds'])
for (const [name, value] of [['events', latencyEvents], ['points', bulkPoints], ['frame-seconds', frameSeconds]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1`)
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
if (!fs.existsSync(path.join(root, 'out', 'renderer', 'index.html'))) {
  console.error('No build found: run `npx electron-vite build` first.')
  process.exit(1)
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-bench-chart-'))
const standIn = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-bench-runtime-'))
fs.mkdirSync(path.join(standIn, 'localtune_runtime'))
fs.writeFileSync(path.join(standIn, 'localtune_runtime', '__init__.py'), '')
fs.writeFileSync(
  path.join(standIn, 'localtune_runtime', '__main__.py'),
  `"""Benchmark stand-in: the real probe; a train that waits for stop while the benchmark writes events.jsonl."""
import os, sys
if sys.argv[1] == "probe":
    real = os.environ["LOCALTUNE_BENCH_REAL_RUNTIME"]
    # python -m puts the working folder first on sys.path: leave this one, or it finds itself again.
    os.chdir(real)
    os.execve(sys.executable, [sys.executable, "-m", "localtune_runtime", *sys.argv[1:]], dict(os.environ, PYTHONPATH=real))
print("benchmark stand-in runtime: events.jsonl is written by scripts/bench/live-chart.ts", flush=True)
try:
    for line in sys.stdin:
        if line.strip() == "stop":
            break
except KeyboardInterrupt:
    pass
sys.exit(0)
`
)

const cleanups: Array<() => void | Promise<void>> = [
  () => fs.rmSync(home, { recursive: true, force: true }),
  () => fs.rmSync(standIn, { recursive: true, force: true })
]

let hostOutput = ''

async function startHost(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'localtune.mjs'), 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      LOCALTUNE_HOME: home,
      LOCALTUNE_RUNTIME_DIR: standIn,
      LOCALTUNE_BENCH_REAL_RUNTIME: path.join(root, 'python-runtime'),
      // The stand-in runtime folder has no venv of its own: train with the real one's Python.
      LOCALTUNE_PYTHON: process.env.LOCALTUNE_PYTHON || path.join(root, 'python-runtime', '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`localtune serve printed no URL:\n${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      hostOutput = (hostOutput + chunk.toString()).slice(-4000)
      const match = output.match(/http:\/\/\S+token=\S+/)
      if (match) {
        clearTimeout(timer)
        resolve(match[0])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
  })
  return { child, url }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}
const round = (value: number) => Math.round(value * 10) / 10
const summary = (values: number[]) => ({ n: values.length, median: round(quantile(values, 0.5)), p95: round(quantile(values, 0.95)), max: round(Math.max(...values)) })

const totalSteps = bulkPoints + latencyEvents * 3 + frameSeconds * 20
let step = 0
let eventsFile = ''
let runId = ''

function progressLine(at: number, seconds: number): string {
  return JSON.stringify({
    v: 1,
    type: 'progress',
    time: seconds,
    run_id: runId,
    step: at,
    total_steps: totalSteps,
    epoch: at / 1000,
    loss: 2 + Math.exp(-at / 20_000) + 0.3 * Math.sin(at / 37) * Math.random(),
    lr: 2e-4,
    grad_norm: 1,
    tokens_per_second: 4000,
    examples_per_second: 12,
    elapsed_seconds: at * 0.25,
    eta_seconds: (totalSteps - at) * 0.25,
    gpu_memory: { allocated_bytes: null, reserved_bytes: null, peak_bytes: null }
  })
}

/** Appends the next step's line; returns when it was written (ms, the time stamped in it). */
function appendStep(): { step: number; writtenAt: number } {
  step += 1
  const writtenAt = Date.now()
  fs.appendFileSync(eventsFile, `${progressLine(step, writtenAt / 1000)}\n`)
  return { step, writtenAt }
}

// In-page probes, as strings: this script is typechecked without the DOM library.
const installProbe = `(() => {
  const chart = document.querySelector('[data-testid=loss-chart]')
  const probe = { drawnAt: {}, drawnUpTo: 0, draws: [], frames: [], recording: false }
  window.__chartProbe = probe
  new MutationObserver(() => {
    // Lines that arrive together are drawn in one frame: every step up to the last one is on the chart now.
    const step = Number(chart.dataset.lastStep)
    const now = Date.now()
    for (let drawn = probe.drawnUpTo + 1; drawn <= step; drawn++) probe.drawnAt[drawn] = now
    probe.drawnUpTo = Math.max(probe.drawnUpTo, step)
    if (probe.recording) probe.draws.push(Number(chart.dataset.drawMs))
  }).observe(chart, { attributes: true, attributeFilter: ['data-last-step', 'data-draw-ms'] })
  return true
})()`
const startFrames = `(() => {
  const probe = window.__chartProbe
  probe.recording = true
  probe.draws = []
  probe.frames = []
  let last = performance.now()
  const tick = (now) => {
    probe.frames.push(now - last)
    last = now
    if (probe.recording) requestAnimationFrame(tick)
  }
  requestAnimationFrame(tick)
})()`

async function main(): Promise<void> {
  const host = await startHost()
  cleanups.unshift(async () => {
    if (host.child.exitCode === null) {
      const exited = new Promise((resolve) => host.child.once('exit', resolve))
      host.child.kill('SIGINT')
      await exited
    }
  })
  const browser = await chromium.launch({ executablePath: process.env.LOCALTUNE_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] })
  cleanups.unshift(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } })
  await page.goto(host.url)

  // Start the demo the way a user does; the stand-in runtime takes the run's place.
  const demo = page.getByRole('region', { name: 'Try the demo' })
  await demo.getByLabel('Steps').fill('10000')
  await demo.getByRole('button', { name: 'Try the demo' }).click()
  await page.getByTestId('run-status').and(page.locator('[data-status=running]')).waitFor({ timeout: 60_000 })
  runId = ((await page.getByTestId('run-id').textContent()) ?? '').trim()
  eventsFile = path.join(home, 'runs', runId, 'events.jsonl')
  // The events tail starts right before the runtime process: wait for its pid.
  for (let tries = 0; ; tries++) {
    const pid = await page.evaluate(`fetch('/api/runs.get', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ runId: '${runId}' }) }).then((r) => r.json()).then((e) => e.value.pid)`)
    if (pid) break
    if (tries > 300) throw new Error(`the stand-in runtime did not start; the host said:\n${hostOutput}`)
    await sleep(100)
  }
  await page.getByRole('region', { name: 'Loss' }).scrollIntoViewIfNeeded()
  await page.evaluate(installProbe)

  const drawnAt = async (): Promise<Record<string, number>> => (await page.evaluate('window.__chartProbe.drawnAt')) as Record<string, number>
  const latencies = async (written: Array<{ step: number; writtenAt: number }>) => {
    await sleep(2000)
    const drawn = await drawnAt()
    const measured = written.filter((entry) => drawn[entry.step] !== undefined).map((entry) => (drawn[entry.step] ?? 0) - entry.writtenAt)
    return { ...summary(measured), missing: written.length - measured.length }
  }

  // 1. Latency on a fresh chart: one event every 250 ms (slower than the path, so they do not queue).
  const fresh: Array<{ step: number; writtenAt: number }> = []
  for (let index = 0; index < latencyEvents; index++) {
    fresh.push(appendStep())
    await sleep(250)
  }
  const freshLatency = await latencies(fresh)

  // 2. 100,000 points: written in bursts of 5,000 lines, as fast as the host ingests them.
  const bulkStarted = Date.now()
  for (let written = 0; written < bulkPoints; written += 5000) {
    const lines: string[] = []
    for (let index = 0; index < Math.min(5000, bulkPoints - written); index++) {
      step += 1
      lines.push(progressLine(step, Date.now() / 1000))
    }
    fs.appendFileSync(eventsFile, `${lines.join('\n')}\n`)
    await sleep(100)
  }
  const chart = page.getByRole('region', { name: 'Loss' }).getByTestId('loss-chart')
  let lastGrowth = { points: -1, at: Date.now() }
  for (;;) {
    const points = Number(await chart.getAttribute('data-points'))
    if (points >= step) break
    if (points > lastGrowth.points) lastGrowth = { points, at: Date.now() }
    if (Date.now() - lastGrowth.at > 60_000) throw new Error(`the chart stopped at ${points} of ${step} points; the host said:\n${hostOutput}`)
    await sleep(250)
  }
  const catchUpSeconds = (Date.now() - bulkStarted) / 1000

  // 3. With 100,000+ points: frames and redraws while 10 events per second arrive, and their latency.
  await page.evaluate(startFrames)
  const busy: Array<{ step: number; writtenAt: number }> = []
  const frameEnd = Date.now() + frameSeconds * 1000
  while (Date.now() < frameEnd) {
    busy.push(appendStep())
    await sleep(100)
  }
  const busyLatency = await latencies(busy)
  const { frames, draws } = (await page.evaluate('(() => { const p = window.__chartProbe; p.recording = false; return { frames: p.frames, draws: p.draws } })()')) as {
    frames: number[]
    draws: number[]
  }

  // 4. A reload with 100,000+ points: the Train screen restores the run from runs.metrics.
  const reloadStarted = Date.now()
  await page.reload()
  await page.getByTestId('run-id').waitFor()
  for (;;) {
    const points = Number(await chart.getAttribute('data-points').catch(() => '0'))
    if (points >= step) break
    if (Date.now() - reloadStarted > 120_000) throw new Error(`after a reload the chart showed ${points} of ${step} points`)
    await sleep(50)
  }
  const reloadSeconds = (Date.now() - reloadStarted) / 1000

  await page.getByRole('button', { name: 'Stop', exact: true }).click()
  await page.getByTestId('run-status').and(page.locator('[data-status=stopped]')).waitFor({ timeout: 60_000 }).catch(() => {})

  const cpu = os.cpus()
  const result = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpu.length} CPU cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, no GPU; ${os.type()} ${os.release()}; Node ${process.version}; Chromium ${browser.version()} (--disable-gpu)`,
    latencyFreshChartMs: freshLatency,
    bulk: { points: bulkPoints, catchUpSeconds: round(catchUpSeconds), pointsOnChart: step },
    latencyWith100kPointsMs: busyLatency,
    frameTimeWith100kPointsMs: summary(frames.slice(1)),
    redrawWith100kPointsMs: summary(draws.filter(Number.isFinite)),
    reloadWith100kPointsSeconds: round(reloadSeconds)
  }
  console.log(JSON.stringify(result, null, 2))
}

try {
  await main()
} finally {
  for (const cleanup of cleanups) {
    try {
      await cleanup()
    } catch {
      // best effort: temp folders and child processes
    }
  }
}

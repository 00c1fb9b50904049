import { execFile } from 'node:child_process'
import type { PackageIndexStatus } from '../../../shared/contract'
import { pipEnvironment } from '../runtime/runtime-setup'

/**
 * Does a package index answer pip on this machine? Asked only when no training runtime is found,
 * because the answer picks the route: the set-up (pip downloads PyTorch) or a runtime carried on a
 * disk (`localtune runtime pack` / `install --from`). pip is asked as the machine configures it
 * (pip.conf, PIP_INDEX_URL, find-links): the project never names an index.
 */

// A small package every index has. `pip index versions` reads only the package's index page
// (no download); measured here it costs what `pip download --no-deps` does (~1 s of CPU), without
// writing a wheel.
const askedPackage = 'pip'
/** One try per index, 5 s per connection: a firewalled index that drops packets costs 5 s, not minutes. */
const connectTimeoutSeconds = 5
const overallTimeoutMs = 10_000

export interface PackageIndexCheckOptions {
  /** The base Python whose pip asks (the one the set-up would create the venv with). */
  python: string
  env: NodeJS.ProcessEnv
  timeoutMs?: number
}

/** The reason pip gives for an index it could not read, shortened to what a person needs. */
function shortReason(reason: string): string {
  const connection = /Failed to establish a new connection: ([^'")]+)/.exec(reason)?.[1]
  if (connection) return connection.trim()
  if (/timed out/i.test(reason)) return 'timed out'
  return reason.length > 160 ? `${reason.slice(0, 157)}...` : reason
}

/** Reads pip's `-vv` output of `pip index versions`: which pages it fetched, and why it could not fetch the others. */
export function readPipIndexAnswer(code: number | null, output: string): PackageIndexStatus {
  const text = output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')
  const fetched = [...text.matchAll(/^Fetched page (\S+)/gm)].map((match) => match[1] as string)
  const latest = /^Available versions: ([^,\s]+)/m.exec(text)?.[1]
  if (code === 0 || fetched.length) {
    const where = fetched.length ? ` at ${fetched.join(', ')}` : ''
    return { status: 'answers', detail: latest ? `pip found ${askedPackage} ${latest}${where}` : `the index answered${where}, though it has no ${askedPackage} package` }
  }
  if (/No module named pip/.test(text)) return { status: 'unknown', detail: 'this Python has no pip (No module named pip), so no index could be asked' }
  if (/unknown command "index"/i.test(text)) return { status: 'unknown', detail: 'this pip is too old to ask an index (`pip index` needs pip 21.2+)' }
  const failures = [...text.matchAll(/^Could not fetch URL (\S+): (.*?)(?: - skipping)?$/gm)].map((match) => `${match[1]}: ${shortReason(match[2] as string)}`)
  if (failures.length) return { status: 'no-answer', detail: `pip said ${failures.join('; ')}` }
  const error = /^ERROR: (.+)$/m.exec(text)?.[1]
  return { status: 'no-answer', detail: `pip found no index to ask${error ? ` (${error})` : ''}` }
}

/** Asks pip once, bounded: one try, a short connection timeout, and the whole check killed after ~10 s. */
export function askPackageIndex(options: PackageIndexCheckOptions): Promise<PackageIndexStatus> {
  const timeoutMs = options.timeoutMs ?? overallTimeoutMs
  const args = ['-m', 'pip', 'index', 'versions', askedPackage, '-vv', '--retries', '0', '--timeout', String(connectTimeoutSeconds), '--no-input', '--disable-pip-version-check']
  return new Promise((resolve) => {
    execFile(options.python, args, { env: pipEnvironment(options.env), timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        resolve({ status: 'unknown', detail: `${options.python} could not be run (not found), so no index could be asked` })
        return
      }
      if (error?.killed) {
        resolve({ status: 'no-answer', detail: `pip had no answer within ${Math.round(timeoutMs / 1000)} s` })
        return
      }
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve(readPipIndexAnswer(code, `${String(stdout)}\n${String(stderr)}`))
    })
  })
}

/**
 * The session's one check: started the first time a doctor finds no runtime, then reused, so the
 * welcome screen and the doctor never wait for pip twice.
 */
export class PackageIndexCheck {
  private pending: Promise<PackageIndexStatus> | null = null
  private settled: PackageIndexStatus | null = null

  constructor(private readonly ask: () => Promise<PackageIndexStatus>) {}

  /** The answer, or `checking` while pip is still asking (the check runs on, off the request). */
  now(): PackageIndexStatus {
    void this.answer()
    return this.settled ?? { status: 'checking', detail: 'asking pip whether a package index answers (at most ~10 s)' }
  }

  /** Waits for pip's answer (at most ~10 s the first time, at once after). */
  answer(): Promise<PackageIndexStatus> {
    this.pending ??= this.ask().then((status) => (this.settled = status))
    return this.pending
  }
}

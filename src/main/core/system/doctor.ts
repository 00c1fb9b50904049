import fs from 'node:fs'
import type { DoctorReport, MachineCheck, PackageIndexStatus, PythonRuntimeStatus } from '../../../shared/contract'
import type { ElectronBinaryStatus } from '../electron-binary'
import type { DatabaseStatus } from '../store/database'
import { formatGiB } from '../../../shared/units'
import { readRuntimeLock, runtimeLockPath } from '../runtime/runtime-lock'
import { runtimeGpuMismatch } from '../runtime/python-discovery'

export interface GpuFacts {
  status: 'ok' | 'none' | 'error'
  /** A sentence for the user: what was found, or why nothing was. */
  message: string
  gpus: Array<{ index: number; name: string; memoryTotalBytes: number | null; memoryFreeBytes: number | null }>
  fix: string | null
}

export interface DoctorInputs {
  home: string
  database: DatabaseStatus
  electron: ElectronBinaryStatus
  python: PythonRuntimeStatus
  gpus: GpuFacts
  /** Whether a package index answers pip; asked only when no runtime is found (package-index-check.ts). */
  packageIndex?: PackageIndexStatus | null
}

const minimumNode = [20, 19]

function homeIsWritable(home: string): boolean {
  try {
    fs.accessSync(home, fs.constants.W_OK)
    return true
  } catch {
    return false
  }
}

function gib(bytes: number | null): string {
  return bytes === null ? 'unknown' : formatGiB(bytes, 1)
}

/** No usable training runtime: nothing found, or a Python without torch. Then the route to one matters (and a package index is asked). */
export function runtimeMissing(python: PythonRuntimeStatus): boolean {
  return !(python.found && python.torchVersion)
}

/** Turns the machine's facts into checks a person can act on, each with its fix. */
export function buildDoctorReport(inputs: DoctorInputs): DoctorReport {
  const checks: MachineCheck[] = []
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  const nodeOk = major > minimumNode[0]! || (major === minimumNode[0] && minor >= minimumNode[1]!)
  checks.push({
    id: 'node',
    label: 'Node.js',
    level: nodeOk ? 'ok' : 'error',
    detail: `Node ${process.versions.node}`,
    fix: nodeOk ? null : 'Install Node.js 20.19 or newer.'
  })

  const writable = homeIsWritable(inputs.home)
  checks.push({
    id: 'home',
    label: 'Home folder',
    level: writable ? 'ok' : 'error',
    detail: `${inputs.home}${writable ? '' : ' is not writable'}`,
    fix: writable ? null : 'Make the folder writable, or set LOCALTUNE_HOME to a folder you own.'
  })

  // The database is an index of the run folders: it is fine only when it lists all of them.
  const database = inputs.database
  const dbCurrent = database.schemaVersion === database.latestVersion
  const dbFine = dbCurrent && database.problems.length === 0
  const dbFacts = [`schema ${database.schemaVersion}`, database.journalMode, `${database.indexedRuns} runs indexed, ${database.runFolders} run folders`]
  checks.push({
    id: 'database',
    label: 'Database',
    level: !dbFine ? 'error' : database.repairs.length > 0 ? 'warning' : 'ok',
    detail: [`${database.path} (${dbFacts.join(', ')})`, ...database.problems, ...database.repairs].join('. '),
    fix: !dbCurrent ? 'Restart LocalTune so it can bring the database up to date.' : database.problems.length > 0 ? 'Restart LocalTune: it reads run folders back into the database at start. If SQLite reports damage, move localtune.db aside; the runs come back from their folders.' : null
  })

  if (inputs.gpus.status === 'ok') {
    const names = inputs.gpus.gpus.map((gpu) => `${gpu.index}: ${gpu.name} (${gib(gpu.memoryTotalBytes)}, ${gib(gpu.memoryFreeBytes)} free)`)
    checks.push({ id: 'gpus', label: 'GPUs', level: 'ok', detail: names.join('; '), fix: null })
  } else {
    checks.push({ id: 'gpus', label: 'GPUs', level: 'warning', detail: inputs.gpus.message, fix: inputs.gpus.fix })
  }

  const python = inputs.python
  if (!runtimeMissing(python)) {
    const cuda = python.cudaAvailable ? `CUDA ${python.cudaVersion ?? ''}`.trim() : python.cudaVersion ? `built for CUDA ${python.cudaVersion} but no GPU usable` : 'CPU-only build'
    const hasHf = Boolean(python.packages.transformers && python.packages.peft)
    const hf = hasHf ? `transformers ${python.packages.transformers}, peft ${python.packages.peft}` : 'transformers/peft missing: only the built-in demo model can train'
    // A runtime that cannot use this machine's GPUs is not ready, even when every package is there.
    const mismatch = runtimeGpuMismatch(python, inputs.gpus.status === 'ok' ? inputs.gpus.gpus.map((gpu) => gpu.name) : [])
    const fixes = [mismatch?.fix, hasHf ? null : 'Run `npm run runtime:setup` where a package index is reachable, or install transformers and peft into that Python.'].filter((fix): fix is string => Boolean(fix))
    checks.push({
      id: 'python',
      label: 'Training runtime',
      level: hasHf && !mismatch ? 'ok' : 'warning',
      detail: `${python.executable} (${python.source}): Python ${python.pythonVersion}, torch ${python.torchVersion}, ${cuda}; ${hf}${mismatch ? `. ${mismatch.message}` : ''}`,
      fix: fixes.length > 0 ? fixes.join(' ') : null
    })
  } else {
    checks.push({ id: 'python', label: 'Training runtime', level: 'error', detail: python.problem ?? 'not found', fix: missingRuntimeFix(python, inputs.packageIndex ?? null) })
  }

  const lock = runtimeLockCheck(python)
  if (lock) checks.push(lock)

  checks.push({
    id: 'electron',
    label: 'Desktop window',
    level: inputs.electron.binaryPresent ? 'ok' : 'warning',
    detail: inputs.electron.binaryPresent
      ? `Electron ${inputs.electron.version}`
      : `Electron ${inputs.electron.version ?? '(not installed)'} has no binary on this machine: LocalTune runs in browser mode (localtune serve)`,
    fix: inputs.electron.binaryPresent ? null : 'Nothing is needed for browser mode. For the desktop window, run `npx install-electron` on a machine with internet.'
  })

  return {
    generatedAt: new Date().toISOString(),
    node: { version: process.versions.node, platform: process.platform, arch: process.arch },
    electron: { version: inputs.electron.version, binaryPresent: inputs.electron.binaryPresent },
    home: { path: inputs.home, writable },
    database: {
      path: inputs.database.path,
      schemaVersion: inputs.database.schemaVersion,
      latestVersion: inputs.database.latestVersion,
      journalMode: inputs.database.journalMode
    },
    python,
    packageIndex: runtimeMissing(python) ? inputs.packageIndex ?? null : null,
    checks
  }
}

const offlineRoute =
  'run `localtune runtime pack --out DIR` on a connected machine, carry DIR here, then `localtune runtime install --from DIR` (in the app: "Install from a folder or USB disk").'

/**
 * With no runtime, the route depends on the network: the set-up needs a package index, so where
 * none answers the doctor names the offline route instead, with what pip said.
 */
function missingRuntimeFix(python: PythonRuntimeStatus, index: PackageIndexStatus | null): string {
  const setup = python.fix ?? 'Run `npm run runtime:setup`.'
  switch (index?.status) {
    case 'answers':
      return `A package index answers (${index.detail}): run the set-up. ${setup}`
    case 'no-answer':
      return `No package index answered (${index.detail}): take the offline route: ${offlineRoute}`
    case 'checking':
      return `${setup} Still asking whether a package index answers; if none does, take the offline route: ${offlineRoute}`
    case 'unknown':
      return `${setup} Whether a package index answers is not known (${index.detail}); if none does, take the offline route: ${offlineRoute}`
    default:
      return `${setup} Where no package index answers, take the offline route: ${offlineRoute}`
  }
}

// The packages the probe reports, with the names the lock uses (PEP 503, lower case).
const probedPackages = ['torch', 'transformers', 'peft', 'accelerate', 'safetensors', 'bitsandbytes'] as const

/**
 * What the runtime's lock says: the exact versions `localtune setup-runtime` installed, and whether
 * the Python still has them. A venv LocalTune manages should have one; a Python the user chose
 * (LOCALTUNE_PYTHON, PATH) usually has none, which is fine.
 */
function runtimeLockCheck(python: PythonRuntimeStatus): MachineCheck | null {
  if (!python.found || !python.executable) return null
  const file = runtimeLockPath(python.executable)
  const reading = readRuntimeLock(file)
  const probed = (name: (typeof probedPackages)[number]): string | null => (name === 'torch' ? python.torchVersion : python.packages[name] ?? null)
  const versions = (pick: (name: (typeof probedPackages)[number]) => string | null) =>
    probedPackages.flatMap((name) => (pick(name) ? [`${name} ${pick(name)}`] : [])).join(', ') || 'none of torch, transformers, peft'
  const setup = '`npm run runtime:setup`'
  if (reading.problem) {
    return { id: 'runtime-lock', label: 'Runtime versions', level: 'warning', detail: reading.problem, fix: `Run ${setup} (with --cpu or --cuda as before): it checks the venv and writes the lock again.` }
  }
  if (!reading.lock) {
    const managed = python.source === 'app-venv' || python.source === 'home-venv'
    return {
      id: 'runtime-lock',
      label: 'Runtime versions',
      level: managed ? 'warning' : 'ok',
      detail: `${versions(probed)}; no lock at ${file}: this Python was not set up by \`localtune setup-runtime\`, so the versions it installed are not recorded`,
      fix: managed ? `Run ${setup} (with --cpu or --cuda): it installs what is missing and records every version in the lock.` : null
    }
  }
  const lock = reading.lock
  const changed = probedPackages.filter((name) => (lock.packages[name] ?? null) !== probed(name))
  const recorded = `${lock.flavour}, set up ${lock.createdAt}; lock ${lock.path}`
  if (changed.length) {
    const differences = changed.map((name) => `${name} ${probed(name) ?? 'missing'} (locked ${lock.packages[name] ?? 'not installed'})`).join(', ')
    return {
      id: 'runtime-lock',
      label: 'Runtime versions',
      level: 'warning',
      detail: `Changed since set-up: ${differences} (${recorded})`,
      fix: `Run \`npm run runtime:setup -- --${lock.flavour}\` to bring the venv back to its requirements and record what it has, or add --fresh to rebuild it.`
    }
  }
  return { id: 'runtime-lock', label: 'Runtime versions', level: 'ok', detail: `${versions((name) => lock.packages[name] ?? null)} (${recorded})`, fix: null }
}

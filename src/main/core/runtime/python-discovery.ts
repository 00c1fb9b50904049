import fs from 'node:fs'
import path from 'node:path'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import { runPtyCommand } from './pty-command'
import { runtimeEnvironment } from './runtime-env'

type Source = NonNullable<PythonRuntimeStatus['source']>

interface Candidate {
  executable: string
  source: Source
  /** An explicit choice is used even without torch, and its problem reported; PATH entries are skipped. */
  explicit: boolean
}

export interface DiscoveryOptions {
  env: NodeJS.ProcessEnv
  home: string
  runtimeDir: string
  probeTimeoutMs?: number
}

interface ProbeJson {
  python?: string
  executable?: string
  torch?: string | null
  cuda_available?: boolean
  cuda_version?: string | null
  gpus?: Array<{ index: number; name: string; total_memory_bytes?: number | null; free_memory_bytes?: number | null; bf16_supported?: boolean | null; compute_capability?: string | null }>
  packages?: Record<string, string | null>
  error?: string | null
}

const venvPython = process.platform === 'win32' ? path.join('Scripts', 'python.exe') : path.join('bin', 'python')

/** The discovery order of the runtime: LOCALTUNE_PYTHON, the app's venv, the home venv, python3 on PATH. */
export function pythonCandidates(options: DiscoveryOptions): Candidate[] {
  const candidates: Candidate[] = []
  const chosen = options.env.LOCALTUNE_PYTHON?.trim()
  if (chosen) candidates.push({ executable: chosen, source: 'LOCALTUNE_PYTHON', explicit: true })
  candidates.push({ executable: path.join(options.runtimeDir, '.venv', venvPython), source: 'app-venv', explicit: false })
  candidates.push({ executable: path.join(options.home, 'runtime', 'venv', venvPython), source: 'home-venv', explicit: false })
  const names = process.platform === 'win32' ? ['python.exe', 'python3.exe'] : ['python3']
  const seen = new Set<string>()
  for (const dir of (options.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    for (const name of names) {
      const file = path.join(dir, name)
      if (!isExecutable(file)) continue
      // /bin and /usr/bin are often one folder: probe each real interpreter once.
      const real = fs.realpathSync(file)
      if (seen.has(real)) continue
      seen.add(real)
      candidates.push({ executable: file, source: 'PATH', explicit: false })
    }
  }
  return candidates
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

/** Extracts the probe's JSON object from terminal output (the pty may add warnings and CRLFs). */
export function parseProbeOutput(output: string): ProbeJson | null {
  const lines = output.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.startsWith('{') && line.endsWith('}'))
  for (const line of lines.reverse()) {
    try {
      return JSON.parse(line) as ProbeJson
    } catch {
      // not the probe's line; keep looking
    }
  }
  return null
}

const setupFix =
  'Run `npm run runtime:setup` to create the runtime (add --cpu on a machine without an NVIDIA GPU), or set ' +
  'LOCALTUNE_PYTHON to a Python that has torch 2.4+, transformers and peft.'

/**
 * Finds the Python that will train, by running the probe through node-pty, the same way
 * training runs. Returns what was found and every candidate tried, so a missing runtime is
 * explained rather than guessed at.
 */
export async function discoverPythonRuntime(options: DiscoveryOptions): Promise<PythonRuntimeStatus> {
  const tried: PythonRuntimeStatus['tried'] = []
  const env = runtimeEnvironment(options.env, options.runtimeDir)
  for (const candidate of pythonCandidates(options)) {
    if (!candidate.explicit && !isExecutable(candidate.executable)) {
      tried.push({ executable: candidate.executable, source: candidate.source, outcome: 'not present' })
      continue
    }
    const result = await runPtyCommand([candidate.executable, '-m', 'localtune_runtime', 'probe'], {
      cwd: options.runtimeDir,
      env,
      timeoutMs: options.probeTimeoutMs ?? 60_000
    })
    const probe = parseProbeOutput(result.output)
    if (!probe) {
      const lastLine = result.output.trim().split(/\r?\n/).pop() ?? ''
      const outcome = result.timedOut ? 'the probe did not answer in time' : `the probe failed (exit ${result.exitCode ?? 'none'}): ${lastLine.slice(0, 300)}`
      tried.push({ executable: candidate.executable, source: candidate.source, outcome })
      if (candidate.explicit) return notFound(tried, `LOCALTUNE_PYTHON=${candidate.executable} could not run the runtime: ${outcome}`, 'Point LOCALTUNE_PYTHON at a working Python 3.10+ with torch, or unset it.')
      continue
    }
    if (!probe.torch && !candidate.explicit) {
      tried.push({ executable: candidate.executable, source: candidate.source, outcome: 'runs, but torch is not importable' })
      continue
    }
    tried.push({ executable: candidate.executable, source: candidate.source, outcome: probe.torch ? 'selected' : 'selected, but torch is missing' })
    return {
      found: true,
      executable: probe.executable ?? candidate.executable,
      source: candidate.source,
      pythonVersion: probe.python ?? null,
      torchVersion: probe.torch ?? null,
      cudaAvailable: probe.cuda_available === true,
      cudaVersion: probe.cuda_version ?? null,
      packages: probe.packages ?? {},
      gpus: (probe.gpus ?? []).map((gpu) => ({
        index: gpu.index,
        name: gpu.name,
        totalMemoryBytes: gpu.total_memory_bytes ?? null,
        freeMemoryBytes: gpu.free_memory_bytes ?? null,
        bf16Supported: gpu.bf16_supported ?? null,
        computeCapability: gpu.compute_capability ?? null
      })),
      tried,
      problem: probe.torch ? null : `${candidate.executable} has no torch, so it cannot train.`,
      fix: probe.torch ? null : setupFix
    }
  }
  return notFound(tried, 'No Python with torch was found for the training runtime.', setupFix)
}

function notFound(tried: PythonRuntimeStatus['tried'], problem: string, fix: string): PythonRuntimeStatus {
  return {
    found: false,
    executable: null,
    source: null,
    pythonVersion: null,
    torchVersion: null,
    cudaAvailable: false,
    cudaVersion: null,
    packages: {},
    gpus: [],
    tried,
    problem,
    fix
  }
}

import fs from 'node:fs'
import path from 'node:path'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import { runPiped } from './piped-command'
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

export interface ProbeJson {
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

export interface ProbeAnswer {
  probe: ProbeJson | null
  /** Why there is no answer, in a few words for the `tried` list. */
  problem: string | null
}

/**
 * Runs `python -m localtune_runtime probe` with pipes: its stdout holds exactly one JSON object
 * (the probe sends anything else it prints to stderr), so nothing is cut out of terminal text.
 * `env` must already be the runtime's environment (see runtimeEnvironment).
 */
export async function runProbe(executable: string, options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ProbeAnswer> {
  const result = await runPiped([executable, '-m', 'localtune_runtime', 'probe'], { cwd: options.cwd, env: options.env, timeoutMs: options.timeoutMs, maxBufferBytes: 4 * 1024 * 1024 })
  if (result.code !== 0) {
    const lastWords = (result.stderr.trim().split(/\r?\n/).pop() ?? '').slice(0, 300)
    const exit = result.code === null ? 'no exit code' : `exit ${result.code}`
    return { probe: null, problem: result.timedOut ? 'the probe did not answer in time' : `the probe failed (${exit}): ${lastWords || 'no message'}` }
  }
  try {
    return { probe: JSON.parse(result.stdout) as ProbeJson, problem: null }
  } catch {
    return { probe: null, problem: `the probe's answer on stdout is not one JSON object: ${result.stdout.trim().slice(0, 300)}` }
  }
}

const setupFix =
  'Run `npm run runtime:setup` to create the runtime (add --cpu on a machine without an NVIDIA GPU), or set ' +
  'LOCALTUNE_PYTHON to a Python that has torch 2.4+, transformers and peft.'

/**
 * Finds the Python that will train, by running the probe (over pipes: its answer is data). Returns
 * what was found and every candidate tried, so a missing runtime is explained rather than guessed at.
 */
export async function discoverPythonRuntime(options: DiscoveryOptions): Promise<PythonRuntimeStatus> {
  const tried: PythonRuntimeStatus['tried'] = []
  const env = runtimeEnvironment(options.env, options.runtimeDir, { everyGpu: true })
  for (const candidate of pythonCandidates(options)) {
    if (!candidate.explicit && !isExecutable(candidate.executable)) {
      tried.push({ executable: candidate.executable, source: candidate.source, outcome: 'not present' })
      continue
    }
    const { probe, problem } = await runProbe(candidate.executable, { cwd: options.runtimeDir, env, timeoutMs: options.probeTimeoutMs ?? 60_000 })
    if (!probe) {
      const outcome = problem ?? 'the probe gave no answer'
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

/** Why the runtime cannot train on this machine's NVIDIA GPUs, and what to do; see `runtimeGpuMismatch`. */
export interface RuntimeGpuMismatch {
  message: string
  fix: string
}

/**
 * The machine has NVIDIA GPUs (nvidia-smi lists them) but the runtime's torch cannot use them:
 * a CPU-only build (the usual cause: pip's default torch wheel on Linux is CUDA, but a CPU index
 * or a distribution package is not), or a CUDA build whose driver is too old. Without this
 * check the runtime is reported ready, Auto plans for the GPU (bf16) and the run fails or
 * quietly trains on the CPU. Null when there is nothing to say (no GPU, no runtime yet, or CUDA works).
 */
export function runtimeGpuMismatch(python: PythonRuntimeStatus, gpuNames: readonly string[]): RuntimeGpuMismatch | null {
  if (!python.found || !python.torchVersion || python.cudaAvailable || gpuNames.length === 0) return null
  const gpus = gpuNames.length === 1 ? `an NVIDIA GPU (${gpuNames[0]})` : `${gpuNames.length} NVIDIA GPUs (${gpuNames.join(', ')})`
  const where = python.executable ? ` in ${python.executable}` : ''
  if (python.cudaVersion === null) {
    return {
      message: `The training runtime's torch ${python.torchVersion}${where} is a CPU-only build, but this machine has ${gpus}: it would train on the CPU, many times slower.`,
      fix: 'Set up the CUDA runtime: `localtune setup-runtime --cuda --fresh` (in the app: "Set up the training runtime" with packages for an NVIDIA GPU), or set LOCALTUNE_PYTHON to a Python whose torch has CUDA.'
    }
  }
  return {
    message: `The training runtime's torch ${python.torchVersion}${where} is built for CUDA ${python.cudaVersion} but cannot use ${gpus} (torch.cuda.is_available() is false): the driver may be older than CUDA ${python.cudaVersion} needs, or CUDA_VISIBLE_DEVICES hides the GPUs.`,
    fix: `Update the NVIDIA driver to one that supports CUDA ${python.cudaVersion}, or set up the runtime for this driver: \`localtune setup-runtime --cuda --fresh\`.`
  }
}

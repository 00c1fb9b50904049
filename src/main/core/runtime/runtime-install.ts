import fs from 'node:fs'
import path from 'node:path'
import { machineFacts, parseWheelName, requirementLines, sha256File, PACK_FORMAT, PACK_MANIFEST, PACK_VERSION, type MachineFacts, type PackManifest } from './runtime-pack'
import { runProbe, type ProbeJson } from './python-discovery'
import { runtimeEnvironment } from './runtime-env'
import { requirementFiles, setUpRuntime, type RuntimeSetupResult } from './runtime-setup'

/**
 * Installs the runtime from a pack folder (`localtune runtime pack`) with nothing fetched: no index
 * is consulted (pip runs isolated from its configuration, with --no-index and only the folder as
 * find-links), every file's sha256 is checked against the manifest, and a folder made for another
 * machine is refused before anything is installed.
 */

export interface InstallFromFolderOptions {
  from: string
  basePython: string
  runtimeDir: string
  venvDir: string
  /** Whether this machine has an NVIDIA driver (nvidia-smi on PATH): a CUDA pack needs one. */
  hasNvidiaGpu: boolean
  env: NodeJS.ProcessEnv
  onOutput(text: string): void
}

export interface RuntimeCapabilities {
  torch: string | null
  cpu: boolean
  cuda: boolean
  lora: boolean
  qlora: boolean
  full: boolean
  gpus: string[]
}

export interface InstallFromFolderResult {
  ok: boolean
  problem: string | null
  python: string | null
  lockPath: string | null
  capabilities: RuntimeCapabilities | null
  seconds: number
}

export function readPackManifest(dir: string): PackManifest {
  const file = path.join(dir, PACK_MANIFEST)
  if (!fs.existsSync(file)) throw new Error(`${dir} has no ${PACK_MANIFEST}: it is not a runtime pack. Make one on a connected machine with \`localtune runtime pack --out DIR\`.`)
  let manifest: PackManifest
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as PackManifest
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); copy the pack again.`)
  }
  if (manifest.format !== PACK_FORMAT || manifest.version !== PACK_VERSION || !manifest.target || !Array.isArray(manifest.packages)) {
    throw new Error(`${file} is not a version ${PACK_VERSION} LocalTune runtime pack manifest.`)
  }
  return manifest
}

/**
 * Why this pack does not fit this machine, one reason per line; empty when it fits. Checked:
 * the Python version, the flavour (a CUDA pack needs an NVIDIA driver), the requirement lines
 * (a pack from another LocalTune version would not satisfy this one's lock), and every wheel's
 * tags against the tags this Python accepts (the platform: manylinux vs Windows, glibc, CPU).
 */
export function packMismatches(manifest: PackManifest, machine: MachineFacts, runtimeDir: string, hasNvidiaGpu: boolean): string[] {
  const problems: string[] = []
  const { target } = manifest
  if (target.python !== machine.python) problems.push(`it is for Python ${target.python}, and this machine's Python is ${machine.python} (pack again with --python ${machine.python}, or install with --python pointing at a Python ${target.python})`)
  if (machine.implementation !== 'cpython') problems.push(`it holds CPython wheels, and this Python is ${machine.implementation}`)
  if (target.flavour === 'cuda' && !hasNvidiaGpu) problems.push('it is the CUDA runtime, and this machine has no NVIDIA driver (nvidia-smi not found); pack the CPU runtime with --cpu')
  const wanted = requirementFiles(runtimeDir, target.flavour, target.withTests).map((file) => ({ file: path.basename(file), lines: requirementLines(file) }))
  if (JSON.stringify(wanted) !== JSON.stringify(manifest.requirements)) {
    problems.push(`it was packed from other requirements than this LocalTune's ${wanted.map((w) => w.file).join(' + ')} (another LocalTune version); pack again with this version`)
  }
  if (machine.tags) {
    const accepted = new Set(machine.tags)
    const unfit = manifest.packages.filter((item) => {
      const wheel = parseWheelName(item.file)
      return !wheel || !wheel.tags.some((tag) => accepted.has(tag))
    })
    if (unfit.length) {
      problems.push(`its platform is ${target.platform}, and ${unfit.length} of its wheels do not fit this machine (${machine.platform}): ${unfit.slice(0, 3).map((item) => item.file).join(', ')}${unfit.length > 3 ? ', ...' : ''}; pack again with --platform ${machine.platform}`)
    }
  }
  return problems
}

/** Files missing, changed or unlisted, against the manifest's sizes and sha256s. */
export async function verifyPackFiles(dir: string, manifest: PackManifest): Promise<string[]> {
  const problems: string[] = []
  for (const item of manifest.packages) {
    const file = path.join(dir, item.file)
    if (path.basename(item.file) !== item.file) problems.push(`${item.file}: not a plain file name`)
    else if (!fs.existsSync(file)) problems.push(`${item.file} is missing`)
    else if (fs.statSync(file).size !== item.bytes) problems.push(`${item.file} has ${fs.statSync(file).size} bytes, the manifest says ${item.bytes} (a partial copy?)`)
    else if ((await sha256File(file)) !== item.sha256) problems.push(`${item.file} does not match its sha256 in the manifest (changed or damaged)`)
  }
  const listed = new Set(manifest.packages.map((item) => item.file))
  // pip would install an extra wheel found in --find-links; one the manifest does not list is refused.
  for (const name of fs.readdirSync(dir).filter((file) => file.endsWith('.whl') && !listed.has(file))) problems.push(`${name} is not in the manifest`)
  return problems
}

/**
 * pip's environment for an install from a folder: no PIP_* variable and no pip.conf of this
 * machine reaches it (they may name indexes or find-links), and PIP_NO_INDEX forbids every index.
 */
export function offlinePipEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(base).filter(([name]) => !name.toUpperCase().startsWith('PIP_')))
  env.PIP_CONFIG_FILE = process.platform === 'win32' ? 'NUL' : '/dev/null'
  env.PIP_NO_INDEX = '1'
  env.PIP_DISABLE_PIP_VERSION_CHECK = '1'
  return env
}

export function capabilitiesFromProbe(probe: ProbeJson): RuntimeCapabilities {
  const packages = probe.packages ?? {}
  const hf = Boolean(probe.torch && packages.transformers)
  return {
    torch: probe.torch ?? null,
    cpu: Boolean(probe.torch),
    cuda: Boolean(probe.torch && probe.cuda_available),
    lora: hf && Boolean(packages.peft),
    full: hf,
    qlora: hf && Boolean(packages.peft && packages.bitsandbytes && probe.cuda_available),
    gpus: (probe.gpus ?? []).map((gpu) => gpu.name)
  }
}

export function describeCapabilities(c: RuntimeCapabilities): string {
  const yes = (flag: boolean) => (flag ? 'yes' : 'no')
  return [
    `torch ${c.torch ?? 'missing'}; CPU: ${yes(c.cpu)}; CUDA: ${c.cuda ? `yes (${c.gpus.join(', ')})` : 'no'}`,
    `LoRA: ${yes(c.lora)}; QLoRA: ${c.qlora ? 'yes' : 'no (needs CUDA and bitsandbytes)'}; full finetuning: ${yes(c.full)}`
  ].join('\n')
}

export async function probeRuntime(python: string, runtimeDir: string, env: NodeJS.ProcessEnv): Promise<RuntimeCapabilities> {
  const { probe, problem } = await runProbe(python, { cwd: runtimeDir, env: runtimeEnvironment(env, runtimeDir, { everyGpu: true }), timeoutMs: 180_000 })
  if (!probe) throw new Error(`the runtime's probe did not answer: ${problem}`)
  if (probe.error) throw new Error(`the runtime's probe found a problem: ${probe.error}`)
  return capabilitiesFromProbe(probe)
}

/**
 * Checks the pack, then builds the venv with the same set-up as `setup-runtime --fresh
 * --wheelhouse DIR`. Why not build the venv in a temp folder and rename it: venvs are not
 * relocatable (console scripts and activate hold the absolute path). So the set-up moves the old
 * venv aside to `<venv>.previous`, builds at the final path, and puts the old one back if pip
 * fails; the lock, written last, marks a finished venv, and a set-up or install killed half-way is
 * repaired on the next one (the venv with a lock wins). Everything that can refuse the folder
 * (manifest, machine, hashes) runs before the old venv is touched.
 */
export async function installRuntimeFromFolder(options: InstallFromFolderOptions): Promise<InstallFromFolderResult> {
  const started = Date.now()
  const failed = (problem: string, python: string | null = null): InstallFromFolderResult => ({ ok: false, problem, python, lockPath: null, capabilities: null, seconds: (Date.now() - started) / 1000 })
  const from = path.resolve(options.from)
  let manifest: PackManifest
  try {
    if (!fs.statSync(from).isDirectory()) return failed(`${from} is not a folder.`)
    manifest = readPackManifest(from)
  } catch (error) {
    return failed((error as NodeJS.ErrnoException).code === 'ENOENT' ? `${from} does not exist.` : (error as Error).message)
  }
  const env = offlinePipEnvironment(options.env)
  let machine: MachineFacts
  try {
    machine = await machineFacts(options.basePython, env)
  } catch (error) {
    return failed((error as Error).message)
  }
  const mismatches = packMismatches(manifest, machine, options.runtimeDir, options.hasNvidiaGpu)
  if (mismatches.length) return failed(`${from} does not fit this machine; nothing was installed:\n${mismatches.map((line) => `  - ${line}`).join('\n')}`)
  options.onOutput(`Checking ${manifest.packages.length} files against ${path.join(from, PACK_MANIFEST)}...\n`)
  const damaged = await verifyPackFiles(from, manifest)
  if (damaged.length) return failed(`${from} is not intact; nothing was installed:\n${damaged.slice(0, 10).map((line) => `  - ${line}`).join('\n')}\nCopy the folder again from the machine that packed it.`)

  const setup: RuntimeSetupResult = await setUpRuntime({
    basePython: options.basePython,
    runtimeDir: options.runtimeDir,
    venvDir: options.venvDir,
    flavour: manifest.target.flavour,
    withTests: manifest.target.withTests,
    wheelhouse: from,
    // --isolated: pip ignores its configuration files and PIP_* variables (belt and braces with the env above).
    pipOptions: ['--isolated'],
    fresh: true,
    systemSitePackages: false,
    env,
    onOutput: options.onOutput
  })
  if (!setup.ok || !setup.python) return failed(setup.problem ?? 'The install failed.', setup.python)
  try {
    const capabilities = await probeRuntime(setup.python, options.runtimeDir, options.env)
    return { ok: true, problem: null, python: setup.python, lockPath: setup.lockPath, capabilities, seconds: (Date.now() - started) / 1000 }
  } catch (error) {
    return failed(`The runtime is installed in ${options.venvDir}, but ${(error as Error).message}`, setup.python)
  }
}

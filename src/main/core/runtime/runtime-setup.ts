import fs from 'node:fs'
import path from 'node:path'
import { runPtyCommand } from './pty-command'

export interface RuntimeSetupOptions {
  /** The Python that creates the venv (3.10+). */
  basePython: string
  runtimeDir: string
  /** Where the venv goes: python-runtime/.venv (development) or <home>/runtime/venv. */
  venvDir: string
  /** cuda or cpu: which pinned requirements file to install. */
  flavour: 'cuda' | 'cpu'
  /** A folder of wheels for an offline install (pip --no-index --find-links). */
  wheelhouse: string | null
  /** Let the venv see the system's packages (e.g. Debian's python3-torch). */
  systemSitePackages: boolean
  env: NodeJS.ProcessEnv
  onOutput(text: string): void
}

export interface RuntimeSetupResult {
  ok: boolean
  python: string | null
  /** What went wrong and the exact next step, when not ok. */
  problem: string | null
}

export function offlineAdvice(runtimeDir: string, flavour: 'cuda' | 'cpu'): string {
  const requirements = path.join(runtimeDir, `requirements-${flavour}.txt`)
  return [
    'No package index could be reached. Two offline routes:',
    `  1. On a machine with internet: \`pip download -r ${requirements} -d wheelhouse\`, copy the wheelhouse folder here, then`,
    '     `LOCALTUNE_WHEELHOUSE=/path/to/wheelhouse npm run runtime:setup`.',
    '  2. Use a Python that already has torch (and transformers + peft for real models):',
    '     `LOCALTUNE_PYTHON=/usr/bin/python3 npm start` (Debian/Ubuntu: `sudo apt-get install python3-torch`).'
  ].join('\n')
}

/**
 * Creates the runtime's venv and installs its pinned requirements, streaming pip's output so
 * the user sees progress. Offline, it says exactly what to do instead of failing vaguely.
 */
export async function setUpRuntime(options: RuntimeSetupOptions): Promise<RuntimeSetupResult> {
  const venvPython = path.join(options.venvDir, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
  const run = async (argv: string[], timeoutMs: number) => {
    options.onOutput(`$ ${argv.join(' ')}\n`)
    const result = await runPtyCommand(argv, { cwd: options.runtimeDir, env: options.env, timeoutMs })
    options.onOutput(result.output)
    return result
  }
  if (!fs.existsSync(venvPython)) {
    const venvArgs = [options.basePython, '-m', 'venv', ...(options.systemSitePackages ? ['--system-site-packages'] : []), options.venvDir]
    const created = await run(venvArgs, 120_000)
    if (created.exitCode !== 0 || !fs.existsSync(venvPython)) {
      return {
        ok: false,
        python: null,
        problem: `Could not create the venv at ${options.venvDir} with ${options.basePython}. On Debian/Ubuntu install \`python3-venv\` (sudo apt-get install python3-venv), or set LOCALTUNE_PYTHON to an existing Python with torch.`
      }
    }
  }
  const requirements = path.join(options.runtimeDir, `requirements-${options.flavour}.txt`)
  const source = options.wheelhouse ? ['--no-index', '--find-links', options.wheelhouse] : []
  const installed = await run([venvPython, '-m', 'pip', 'install', '--disable-pip-version-check', ...source, '-r', requirements], 3_600_000)
  if (installed.exitCode !== 0) {
    const offline = /Could not find a version|No matching distribution|Failed to establish|Temporary failure in name resolution|Network is unreachable|Connection refused/i.test(installed.output)
    return {
      ok: false,
      python: venvPython,
      problem: offline && !options.wheelhouse ? offlineAdvice(options.runtimeDir, options.flavour) : `pip could not install ${requirements}; its output above says why.`
    }
  }
  return { ok: true, python: venvPython, problem: null }
}

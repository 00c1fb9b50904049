import fs from 'node:fs'
import path from 'node:path'
import { runPiped } from './piped-command'
import { runPtyCommand } from './pty-command'
import { RUNTIME_LOCK_NAME } from './runtime-lock'

export type RuntimeFlavour = 'cuda' | 'cpu'

export interface RuntimeSetupOptions {
  /** The Python that creates the venv (3.10+). */
  basePython: string
  runtimeDir: string
  /** Where the venv goes: python-runtime/.venv (development) or <home>/runtime/venv. */
  venvDir: string
  /** cuda or cpu: which requirements file to install. */
  flavour: RuntimeFlavour
  /** Also install requirements-test.txt (pytest), for the runtime's own tests (CI, `npm test`). */
  withTests?: boolean
  /** A folder of wheels for an offline install (pip --no-index --find-links). */
  wheelhouse: string | null
  /** pip options passed through as given, e.g. ['--extra-index-url', 'https://download.pytorch.org/whl/cpu']. */
  pipOptions?: readonly string[]
  /**
   * Build a new venv even when the existing one matches its lock: the old one is moved aside and
   * comes back if the new one fails, so a failed rebuild never leaves the user without a runtime.
   */
  fresh?: boolean
  /** Let the venv see the base Python's packages (a system or conda PyTorch, for example). */
  systemSitePackages: boolean
  env: NodeJS.ProcessEnv
  onOutput(text: string): void
}

export interface RuntimeSetupResult {
  ok: boolean
  python: string | null
  /** What went wrong and the exact next step, when not ok. */
  problem: string | null
  /** The lock file written (or found up to date), when ok. */
  lockPath: string | null
  /** False when the venv already matched its lock and nothing was installed. */
  changed: boolean
}

/** The requirement files a set-up installs, in order. */
export function requirementFiles(runtimeDir: string, flavour: RuntimeFlavour, withTests = false): string[] {
  return [path.join(runtimeDir, `requirements-${flavour}.txt`), ...(withTests ? [path.join(runtimeDir, 'requirements-test.txt')] : [])]
}

/**
 * pip's environment for a set-up. pip's defaults (5 retries with back-off, a 15 s timeout per
 * try, per index and per package) turn "no network" into many minutes of silence; one try with a
 * short timeout fails in seconds. Whatever the user set (PIP_RETRIES, PIP_DEFAULT_TIMEOUT, an
 * index in pip.conf or PIP_INDEX_URL) is kept: pip reads it itself.
 */
export function pipEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base }
  env.PIP_RETRIES ??= '0'
  env.PIP_DEFAULT_TIMEOUT ??= '10'
  env.PIP_DISABLE_PIP_VERSION_CHECK ??= '1'
  return env
}

function commandLine(options: Pick<RuntimeSetupOptions, 'flavour' | 'withTests'>): string {
  const flags = [`--${options.flavour}`, ...(options.withTests ? ['--with-tests'] : [])].join(' ')
  return `npm run runtime:setup -- ${flags}`
}

/** One index pip looked in, and whether it answered when asked again after pip failed. */
export interface IndexAnswer {
  url: string
  answered: boolean
  /** Why it did not answer (connection refused, name not resolved, timed out, ...). */
  error: string | null
}

export function offlineAdvice(options: Pick<RuntimeSetupOptions, 'runtimeDir' | 'flavour' | 'withTests'>, missing: string | null, indexes: readonly IndexAnswer[] = []): string {
  const files = requirementFiles(options.runtimeDir, options.flavour, options.withTests)
  const setup = commandLine(options)
  const torchIndex = options.flavour === 'cpu' ? 'https://download.pytorch.org/whl/cpu' : 'https://download.pytorch.org/whl/cu128'
  return [
    `No package index answered${missing ? `, so pip could not get ${missing}` : ''}.`,
    ...indexes.map((index) => `  ${index.url}: ${index.error ?? 'no answer'}`),
    'Three ways on:',
    `  1. Point pip at an index this machine reaches: \`${setup} --index-url URL\` (or --extra-index-url URL;`,
    `     PIP_INDEX_URL, PIP_EXTRA_INDEX_URL and pip.conf work too). PyTorch's own wheels: --extra-index-url ${torchIndex}`,
    '  2. Offline: on a machine with internet and the same OS and Python version, run',
    `     \`pip download ${files.map((f) => `-r ${f}`).join(' ')} -d wheelhouse\`, copy the wheelhouse folder here, then`,
    `     \`${setup} --wheelhouse /path/to/wheelhouse\` (or set LOCALTUNE_WHEELHOUSE).`,
    `     Simpler, with LocalTune on both machines: \`localtune runtime pack --${options.flavour} --out DIR\` there (add --python/--platform`,
    '     for this machine), copy DIR here, then `localtune runtime install --from DIR` (hashes checked, no index asked).',
    '  3. Set LOCALTUNE_PYTHON to a Python that already has torch, transformers and peft.'
  ].join('\n')
}

const notFound = /Could not find a version that satisfies|No matching distribution found/i

/** pip colours its output in a terminal; the colour codes must not end up in names and URLs. */
function plainText(output: string): string {
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')
}

/**
 * The indexes pip used, from its "Looking in indexes:" line. pip prints that line only when the
 * index is not the default, so without it the index is PyPI's.
 */
export function indexesPipUsed(output: string): string[] {
  const line = /Looking in indexes: ([^\n]+)/.exec(plainText(output))?.[1]
  return line ? line.split(',').map((url) => url.trim()).filter(Boolean) : ['https://pypi.org/simple']
}

// Asks each index once, with the venv's Python so that the proxy settings pip sees (https_proxy
// and friends) apply here too. Any HTTP answer, even an error status, means the index is there.
const askIndexes = `
import json, os, sys, urllib.error, urllib.parse, urllib.request
answers = []
for url in sys.argv[1:]:
    error = None
    if url.startswith("file:"):
        path = urllib.request.url2pathname(urllib.parse.urlparse(url).path)
        error = None if os.path.isdir(path) else "no such folder"
    else:
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=float(os.environ.get("PIP_DEFAULT_TIMEOUT") or 10))
        except urllib.error.HTTPError:
            pass
        except Exception as exc:
            reason = getattr(exc, "reason", exc)
            error = str(reason) or type(reason).__name__
    answers.append({"url": url, "answered": error is None, "error": error})
print(json.dumps(answers))
`

async function askPipIndexes(python: string, output: string, cwd: string, env: NodeJS.ProcessEnv): Promise<IndexAnswer[] | null> {
  const asked = await runPiped([python, '-c', askIndexes, ...indexesPipUsed(output)], { cwd, env })
  try {
    return JSON.parse(asked.stdout.trim()) as IndexAnswer[]
  } catch {
    return null
  }
}

/**
 * Turns pip's failed output into what happened and what to do next. `indexes` says which of the
 * indexes pip used answered: pip with PIP_RETRIES=0 prints nothing about a connection it could not
 * make, only that it found no matching distribution, so the set-up asks the indexes itself.
 */
export function explainPipFailure(
  output: string,
  options: Pick<RuntimeSetupOptions, 'runtimeDir' | 'flavour' | 'withTests' | 'wheelhouse'>,
  indexes: readonly IndexAnswer[] | null
): string {
  const text = plainText(output)
  const missing = /No matching distribution found for ([^\s]+)/i.exec(text)?.[1] ?? null
  const files = requirementFiles(options.runtimeDir, options.flavour, options.withTests)
  if (!notFound.test(text)) return `pip could not install ${files.join(' and ')}; its output above says why.`
  if (options.wheelhouse) {
    return `The wheelhouse ${options.wheelhouse} has no wheel for ${missing ?? 'a required package'} that fits this machine. ` +
      `Download the wheels on a machine with the same OS and Python version: \`pip download ${files.map((f) => `-r ${f}`).join(' ')} -d wheelhouse\`, then copy the folder here.`
  }
  if (indexes && indexes.length && indexes.every((index) => !index.answered)) return offlineAdvice(options, missing, indexes)
  const silent = (indexes ?? []).filter((index) => !index.answered)
  return [
    `The package index answered but has no release of ${missing ?? 'a required package'} that fits ${files.map((f) => path.basename(f)).join(' + ')} ` +
      "on this machine (its Python version, OS and CPU); pip's output above lists the versions it saw.",
    ...(silent.length ? [`These indexes did not answer: ${silent.map((index) => `${index.url} (${index.error ?? 'no answer'})`).join(', ')}.`] : []),
    'Point pip at an index that has it (--index-url URL / --extra-index-url URL), or create the runtime with a Python version those packages support (--python).'
  ].join('\n')
}

interface LockCheck {
  matches: boolean
  reason: string | null
}

/**
 * Creates the runtime's venv, installs the requirements with pip (streaming its output, so the
 * user sees progress), and writes the lock that records every installed version. A venv that
 * already matches its lock and requirements is left alone; one that does not is brought up to
 * them. Offline, it says exactly what to do instead of failing vaguely.
 */
export async function setUpRuntime(options: RuntimeSetupOptions): Promise<RuntimeSetupResult> {
  const venvPython = path.join(options.venvDir, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
  const env = pipEnvironment(options.env)
  // The lock commands import localtune_runtime from the runtime folder, whatever the venv holds.
  const lockEnv: NodeJS.ProcessEnv = { ...env, PYTHONPATH: [options.runtimeDir, env.PYTHONPATH].filter(Boolean).join(path.delimiter) }
  const files = requirementFiles(options.runtimeDir, options.flavour, options.withTests)
  const failed = (problem: string, python: string | null = null): RuntimeSetupResult => ({ ok: false, python, problem, lockPath: null, changed: false })
  const run = async (argv: string[], timeoutMs: number) => {
    options.onOutput(`$ ${argv.join(' ')}\n`)
    const result = await runPtyCommand(argv, { cwd: options.runtimeDir, env, timeoutMs })
    options.onOutput(result.output)
    return result
  }
  const lockCommand = (command: 'write' | 'check') =>
    runPiped([venvPython, '-m', 'localtune_runtime.runtime_lock', command, '--flavour', options.flavour, ...files], { cwd: options.runtimeDir, env: lockEnv })

  const absent = files.filter((file) => !fs.existsSync(file))
  if (absent.length) return failed(`${absent.join(', ')} is missing: the runtime folder ${options.runtimeDir} is incomplete. Reinstall LocalTune or check out the repository again.`)

  const lockFile = path.join(options.venvDir, RUNTIME_LOCK_NAME)
  const aside = `${options.venvDir}.previous`
  if (fs.existsSync(aside)) {
    // Left by a fresh build that was killed: keep whichever venv was finished (has its lock).
    const finished = fs.existsSync(lockFile) || !fs.existsSync(path.join(aside, RUNTIME_LOCK_NAME))
    if (!finished) fs.rmSync(options.venvDir, { recursive: true, force: true })
    if (finished) fs.rmSync(aside, { recursive: true, force: true })
    else fs.renameSync(aside, options.venvDir)
  }

  if (fs.existsSync(venvPython) && !options.fresh) {
    const checked = await lockCommand('check')
    const answer = parseLockCheck(checked.stdout)
    if (answer?.matches) {
      const lockPath = lockFile
      options.onOutput(`${options.venvDir} already has what ${files.map((f) => path.basename(f)).join(' + ')} ask for (lock: ${lockPath}); nothing to install.\n`)
      return { ok: true, python: venvPython, problem: null, lockPath, changed: false }
    }
    options.onOutput(`${options.venvDir} is not up to date: ${answer?.reason ?? `its Python could not check the lock (${(checked.stderr || checked.stdout).trim().slice(-300)})`}.\n`)
  }

  // A fresh build moves the old venv aside rather than deleting it: it comes back if the build fails.
  let movedAside = false
  if (options.fresh && fs.existsSync(options.venvDir)) {
    try {
      fs.renameSync(options.venvDir, aside)
      movedAside = true
    } catch (error) {
      return failed(`Could not move the old runtime ${options.venvDir} aside to rebuild it (${(error as Error).message}). Close programs that use it (a running training, a terminal with it activated) and try again.`)
    }
  }
  const createdHere = !fs.existsSync(venvPython)
  // Undo what this set-up made, so a failure leaves the machine as it found it.
  const undo = () => {
    if (createdHere) fs.rmSync(options.venvDir, { recursive: true, force: true })
    if (movedAside) fs.renameSync(aside, options.venvDir)
  }

  if (createdHere) {
    const venvArgs = [options.basePython, '-m', 'venv', ...(options.systemSitePackages ? ['--system-site-packages'] : []), options.venvDir]
    const created = await run(venvArgs, 120_000)
    if (created.exitCode !== 0 || !fs.existsSync(venvPython)) {
      undo()
      return failed(
        `Could not create the venv at ${options.venvDir} with ${options.basePython}. It needs Python 3.10+ with the venv module ` +
          '(Debian/Ubuntu: `sudo apt-get install python3-venv`); choose that Python with --python, or set LOCALTUNE_PYTHON to a Python that already has torch.'
      )
    }
  }

  const source = options.wheelhouse ? ['--no-index', '--find-links', options.wheelhouse] : []
  // An old lock must not describe a venv that pip is about to change.
  fs.rmSync(lockFile, { force: true })
  const installed = await run([venvPython, '-m', 'pip', 'install', ...source, ...(options.pipOptions ?? []), ...files.flatMap((f) => ['-r', f])], 3_600_000)
  if (installed.exitCode !== 0) {
    const indexes = !options.wheelhouse && notFound.test(installed.output) ? await askPipIndexes(venvPython, installed.output, options.runtimeDir, env) : null
    undo()
    const after = movedAside
      ? `\nThe previous runtime is back in ${options.venvDir}.`
      : createdHere
        ? ''
        : `\n${options.venvDir} was kept as it is; if it is broken, rebuild it: \`${commandLine(options)} --fresh\`.`
    return failed(`${installed.timedOut ? 'pip did not finish within an hour.\n' : ''}${explainPipFailure(installed.output, options, indexes)}${after}`, fs.existsSync(venvPython) ? venvPython : null)
  }
  if (movedAside) fs.rmSync(aside, { recursive: true, force: true })

  const written = await lockCommand('write')
  if (written.code !== 0) {
    return failed(`The packages are installed, but the lock file could not be written: ${(written.stderr || written.stdout).trim().slice(-500)}`, venvPython)
  }
  const lockPath = written.stdout.trim().split(/\r?\n/).pop() ?? lockFile
  options.onOutput(`Recorded the installed versions in ${lockPath}\n`)
  return { ok: true, python: venvPython, problem: null, lockPath, changed: true }
}

function parseLockCheck(stdout: string): LockCheck | null {
  const line = stdout.trim().split(/\r?\n/).pop() ?? ''
  try {
    const parsed = JSON.parse(line) as Partial<LockCheck>
    return typeof parsed.matches === 'boolean' ? { matches: parsed.matches, reason: parsed.reason ?? null } : null
  } catch {
    return null
  }
}

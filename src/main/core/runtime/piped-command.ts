import { execFile } from 'node:child_process'

export interface PipedResult {
  /** The exit code; null when the command did not exit by itself (a signal, a timeout, not found). */
  code: number | null
  stdout: string
  /** What the command wrote to stderr, or, when it could not run, why (e.g. ENOENT). */
  stderr: string
  /** It ran past `timeoutMs` and was killed. */
  timedOut: boolean
}

export interface PipedOptions {
  cwd?: string
  env: NodeJS.ProcessEnv
  timeoutMs?: number
  maxBufferBytes?: number
}

/**
 * Runs a command with pipes, for the runtime's commands whose stdout is data (the probe's JSON,
 * pip's answers, the lock), not terminal text: a pty would mix stderr in and rewrite line ends.
 * A command past its time is killed with SIGKILL, since a hung Python ignores politer signals.
 */
export function runPiped(argv: readonly string[], options: PipedOptions): Promise<PipedResult> {
  const [file, ...args] = argv
  return new Promise((resolve) => {
    execFile(
      file!,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 120_000, killSignal: 'SIGKILL', maxBuffer: options.maxBufferBytes ?? 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        const couldNotRun = error && typeof error.code !== 'number' ? error.message : ''
        resolve({ code, stdout: String(stdout), stderr: String(stderr || couldNotRun), timedOut: Boolean(error?.killed && error.signal === 'SIGKILL') })
      }
    )
  })
}

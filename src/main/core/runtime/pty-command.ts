import pty from 'node-pty'

export interface PtyCommandResult {
  /** Everything the program printed, as a terminal shows it (stdout and stderr interleaved). */
  output: string
  exitCode: number | null
  signal: number | null
  timedOut: boolean
}

export interface PtyCommandOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  timeoutMs: number
  cols?: number
  rows?: number
}

/**
 * Runs a program to completion in a pseudo-terminal. Short runtime commands (the probe) go
 * through the same pty path as training, so a Python that cannot start under a pty fails here,
 * early, not at the first training run. The argv is an array: no shell ever parses it.
 */
export function runPtyCommand(argv: readonly string[], options: PtyCommandOptions): Promise<PtyCommandResult> {
  const [file, ...args] = argv
  if (!file) throw new Error('runPtyCommand needs a program to run')
  return new Promise((resolve) => {
    let output = ''
    let timedOut = false
    let child: pty.IPty
    try {
      child = pty.spawn(file, args, {
        name: 'xterm-256color',
        cols: options.cols ?? 160,
        rows: options.rows ?? 40,
        cwd: options.cwd,
        env: options.env as Record<string, string>
      })
    } catch (error) {
      resolve({ output: error instanceof Error ? error.message : String(error), exitCode: null, signal: null, timedOut: false })
      return
    }
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs)
    child.onData((data) => {
      output += data
    })
    child.onExit(({ exitCode, signal }) => {
      clearTimeout(timer)
      resolve({ output, exitCode: timedOut ? null : exitCode, signal: signal || null, timedOut })
    })
  })
}

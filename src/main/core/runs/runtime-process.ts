import pty from 'node-pty'

export interface TerminalSize {
  cols: number
  rows: number
}

export const defaultTerminalSize: TerminalSize = { cols: 120, rows: 30 }

export interface RuntimeExit {
  exitCode: number | null
  /** The signal number that ended it, when one did. */
  signal: number | null
}

export interface RuntimeProcessOptions {
  python: string
  args: readonly string[]
  cwd: string
  env: NodeJS.ProcessEnv
  size: TerminalSize
  onData(data: string): void
  onExit(exit: RuntimeExit): void
}

/**
 * One `python -m localtune_runtime ...` process in a pseudo-terminal, so progress bars and colours
 * look as they would in a shell. The argv is an array: no shell parses it. The child leads its
 * own session with the pty as controlling terminal, so when the app dies the kernel hangs the
 * terminal up and sends it SIGHUP (recovery then marks the run interrupted).
 */
export class RuntimeProcess {
  private readonly child: pty.IPty
  private exited = false

  constructor(options: RuntimeProcessOptions) {
    this.child = pty.spawn(options.python, [...options.args], {
      name: 'xterm-256color',
      cols: options.size.cols,
      rows: options.size.rows,
      cwd: options.cwd,
      env: definedOnly(options.env)
    })
    this.child.onData(options.onData)
    this.child.onExit(({ exitCode, signal }) => {
      this.exited = true
      options.onExit({ exitCode: signal ? null : exitCode, signal: signal || null })
    })
  }

  get pid(): number {
    return this.child.pid
  }

  get hasExited(): boolean {
    return this.exited
  }

  /** Types a line into the terminal, as a person would (the pty turns CR into the line end). */
  writeLine(text: string): void {
    if (!this.exited) this.child.write(`${text}\r`)
  }

  signal(name: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): void {
    if (this.exited) return
    try {
      this.child.kill(name)
    } catch {
      // already gone between the check and the signal
    }
  }

  resize(size: TerminalSize): void {
    if (!this.exited) this.child.resize(size.cols, size.rows)
  }
}

/** node-pty wants string values only; an unset variable must be left out, not passed as "undefined". */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value
  return result
}

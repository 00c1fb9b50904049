import { spawn, type ChildProcess } from 'node:child_process'
import readline from 'node:readline'
import { terminalToPlainLines } from '../../../shared/terminal/plain-lines'

/** How the child ended: its exit, the signal that ended it, or why it could not start. */
export interface ChildEnd {
  exitCode: number | null
  signal: NodeJS.Signals | null
  spawnError: Error | null
  /** The last non-empty lines of its stderr, as plain text, for the failure report. */
  outputTail: string[]
}

export interface JsonLinesChild {
  child: ChildProcess
  /** Settles once, after every stdout line has been handed to onLine. */
  ended: Promise<ChildEnd>
}

const stderrTailLines = 40

/**
 * Starts one of the runtime's JSON-lines commands (`verify --json`, `generate --json`): the request
 * goes in on stdin, data comes out on stdout one JSON object per line (each caller checks its own
 * lines and skips what is not one, e.g. a library's print), and stderr carries what a person
 * reads, kept as a tail. Data never travels on stderr and words never on stdout.
 */
export function startJsonLinesChild(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; stdin: string; onLine(text: string): void }
): JsonLinesChild {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] })
  const stderr: string[] = []
  readline.createInterface({ input: child.stdout }).on('line', options.onLine)
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    stderr.push(...terminalToPlainLines(chunk).filter((line) => line.trim()))
    if (stderr.length > stderrTailLines * 2) stderr.splice(0, stderr.length - stderrTailLines)
  })
  child.stdin.on('error', () => undefined) // a runtime that fails at start closes stdin early; its exit says why
  child.stdin.end(options.stdin)

  const ended = new Promise<ChildEnd>((resolve) => {
    let settled = false
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError: Error | null) => {
      if (settled) return
      settled = true
      resolve({ exitCode, signal, spawnError, outputTail: stderr.slice(-stderrTailLines) })
    }
    child.on('error', (error) => finish(null, null, error))
    // 'close' comes after stdout ended, so every line has been read by then.
    child.on('close', (code, signal) => finish(code, signal, null))
  })
  return { child, ended }
}

import type { CliCommand, CliContext, CliIo } from './command'
import { UsageError } from './command'
import { doctorCommand } from './commands/doctor'
import { serveCommand } from './commands/serve'
import { startCommand } from './commands/start'
import { setupRuntimeCommand } from './commands/setup-runtime'
import { runtimeCommand } from './commands/runtime'
import { trainCommand } from './commands/train'
import { runsCommand } from './commands/runs'
import { stopCommand } from './commands/stop'
import { resumeCommand } from './commands/resume'
import { generateCommand } from './commands/generate'
import { inspectCommand } from './commands/inspect'
import { formatCommand } from './commands/format'
import { modelsCommand } from './commands/models'
import { estimateCommand } from './commands/estimate'
import { exportCommand } from './commands/export'
import { importAutoTrainCommand } from './commands/import-autotrain'
import { resolveHome } from '../core/home'

export const commands: readonly CliCommand[] = [
  startCommand,
  serveCommand,
  doctorCommand,
  setupRuntimeCommand,
  runtimeCommand,
  inspectCommand,
  formatCommand,
  modelsCommand,
  estimateCommand,
  trainCommand,
  runsCommand,
  stopCommand,
  resumeCommand,
  generateCommand,
  exportCommand,
  importAutoTrainCommand
]

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length))
  return [
    'localtune — finetune an open LLM on your own CSV, on your own GPU, offline.',
    '',
    'Usage: localtune <command> [options]',
    '',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `localtune <command> --help` for its options. Data lives in LOCALTUNE_HOME (default: your app-data folder).'
  ].join('\n')
}

/** Runs one CLI invocation and returns its exit code; used by bin/localtune.mjs and by tests. */
export async function runCli(argv: string[], io: CliIo, context: Partial<CliContext> = {}): Promise<number> {
  const env = context.env ?? process.env
  const ctx: CliContext = {
    env,
    cwd: context.cwd ?? process.cwd(),
    home: context.home ?? resolveHome(env),
    interrupted: context.interrupted ?? new Promise<void>(() => {})
  }
  const [name, ...args] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview())
    return name ? 0 : 2
  }
  const command = commands.find((candidate) => candidate.name === name)
  if (!command) {
    io.err(`Unknown command "${name}".\n\n${overview()}`)
    return 2
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.usage)
    return 0
  }
  try {
    return await command.run(args, io, ctx)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(error as Error).message}\n\nUsage: ${command.usage}`)
      return 2
    }
    io.err(`localtune ${name} failed: ${(error as Error).message}`)
    return 1
  }
}

/** The process entry: real stdout/stderr, Ctrl+C wired to `interrupted`. */
export async function main(): Promise<void> {
  let onInterrupt: () => void = () => {}
  const interrupted = new Promise<void>((resolve) => {
    onInterrupt = resolve
  })
  process.once('SIGINT', onInterrupt)
  process.once('SIGTERM', onInterrupt)
  const io: CliIo = {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    isTty: Boolean(process.stdout.isTTY)
  }
  const code = await runCli(process.argv.slice(2), io, { interrupted })
  process.exitCode = code
  // Native handles (pty, sqlite) must not keep a finished command alive.
  setTimeout(() => process.exit(code), 50).unref()
}

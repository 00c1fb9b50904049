/**
 * One `localtune <name>` subcommand. Commands get their output streams and environment passed
 * in, so tests run them in-process and read exactly what a user would see.
 */
export interface CliIo {
  /** A line (or chunk) for standard output: results, tables, JSON. */
  out(text: string): void
  /** A line for standard error: progress, warnings, errors. */
  err(text: string): void
  /** Whether stdout is an interactive terminal (progress bars only then). */
  isTty: boolean
}

export interface CliContext {
  env: NodeJS.ProcessEnv
  cwd: string
  /** LocalTune's home folder (LOCALTUNE_HOME or the OS app-data folder). */
  home: string
  /** Resolves when the user presses Ctrl+C; long commands stop cleanly on it. */
  interrupted: Promise<void>
}

export interface CliCommand {
  name: string
  /** One line for `localtune --help`. */
  summary: string
  /** Full usage text for `localtune <name> --help`. */
  usage: string
  /** Returns the process exit code. Bad arguments: print what is wrong and the usage to err, return 2. */
  run(args: string[], io: CliIo, ctx: CliContext): Promise<number>
}

/** Thrown for bad arguments; the CLI prints the message and the command's usage, exit 2. */
export class UsageError extends Error {}

import { UserFacingError } from '../core/user-facing-error'
import type { CliIo } from './command'

/** Prints a message meant for the user with the places it names, and returns exit code 1; anything else is rethrown. */
export function reportUserError(error: unknown, io: CliIo): number {
  if (!(error instanceof UserFacingError)) throw error
  io.err([error.message, ...error.details.map((detail) => `  - ${detail}`)].join('\n'))
  return 1
}

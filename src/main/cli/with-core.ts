import { createCore, type Core } from '../core/create-core'
import type { CliContext, CliIo } from './command'
import { reportUserError } from './user-error'

/**
 * Runs a command's work over a core opened on the command's home: a message meant for the user
 * is printed (exit 1), and the core is closed however the work ends.
 */
export async function withCore(ctx: CliContext, io: CliIo, work: (core: Core) => Promise<number>): Promise<number> {
  const core = createCore({ env: ctx.env, home: ctx.home })
  try {
    return await work(core)
  } catch (error) {
    return reportUserError(error, io)
  } finally {
    core.close()
  }
}

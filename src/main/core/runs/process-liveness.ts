import fs from 'node:fs'

/**
 * Whether a process we recorded earlier is still running. `kill(pid, 0)` alone is not enough:
 * a dead child that nobody reaped (a zombie, common in containers whose init does not reap) still
 * answers it, and after a reboot the pid may belong to another program. On Linux /proc tells
 * both apart; `commandIncludes` names what the command line must contain to be ours.
 */
export function isProcessAlive(pid: number | null | undefined, options: { commandIncludes?: string } = {}): boolean {
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is not a process we started.
    return (error as NodeJS.ErrnoException).code === 'EPERM' && options.commandIncludes === undefined
  }
  if (process.platform !== 'linux') return true
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The state follows the command name in parentheses, which may itself contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'Z' || state === 'X') return false
    if (options.commandIncludes !== undefined) {
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
      return command.includes(options.commandIncludes)
    }
    return true
  } catch {
    // /proc vanished under us: the process ended between the two checks.
    return false
  }
}

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

let bootId: string | null | undefined

/**
 * When process `pid` started, as a string that never repeats for another process: on Linux the
 * boot's id and the start time in clock ticks since boot (field 22 of /proc/<pid>/stat). A pid
 * alone is reused by the kernel; a pid with its start time names one process. null where the
 * platform does not say (then liveness falls back to the pid alone).
 */
export function processStartTime(pid: number | null | undefined): string | null {
  if (process.platform !== 'linux' || !pid || !Number.isInteger(pid) || pid <= 0) return null
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = fields[22 - 3]
    if (!ticks) return null
    if (bootId === undefined) {
      try {
        bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
      } catch {
        bootId = null
      }
    }
    return `${bootId ?? 'boot'}:${ticks}`
  } catch {
    return null
  }
}

/**
 * Whether the process recorded as (`pid`, `startedAt`) still runs: the pid is alive and started
 * at that moment. A different start time means the pid now belongs to another program.
 */
export function isSameProcessAlive(pid: number | null | undefined, startedAt: string | null | undefined): boolean {
  if (!isProcessAlive(pid)) return false
  if (!startedAt) return true
  const now = processStartTime(pid)
  return now === null || now === startedAt
}

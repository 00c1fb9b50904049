import { spawn } from 'node:child_process'
import { noGpuMessage } from '../../../shared/hardware/types'
import type { GpuDetectionStatus, GpuInfo } from '../../../shared/hardware/types'

/**
 * Runs nvidia-smi (found on the PATH of `env`) and reads its CSV. nvidia-smi can hang when the
 * driver is wedged, so every call has a timeout after which the process (and anything it
 * started) is killed.
 */

export type NvidiaSmiRun =
  | { kind: 'exited'; code: number; stdout: string; stderr: string }
  | { kind: 'missing' }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'spawn-error'; message: string }

export interface NvidiaSmiOptions {
  env?: NodeJS.ProcessEnv
  /** Kill nvidia-smi after this long; the driver answers in well under a second when healthy. */
  timeoutMs?: number
}

export const defaultNvidiaSmiTimeoutMs = 5000

export function runNvidiaSmi(args: readonly string[], options: NvidiaSmiOptions = {}): Promise<NvidiaSmiRun> {
  const timeoutMs = options.timeoutMs ?? defaultNvidiaSmiTimeoutMs
  return new Promise((resolve) => {
    let settled = false
    const finish = (result: NvidiaSmiRun): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    // Its own process group on POSIX, so a timeout kills a wrapper script and its children.
    const child = spawn('nvidia-smi', [...args], { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, detached: process.platform !== 'win32' })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    const timer = setTimeout(() => {
      try {
        if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        else child.kill('SIGKILL')
      } catch {
        // already gone
      }
      child.stdout.destroy()
      child.stderr.destroy()
      finish({ kind: 'timeout', timeoutMs })
    }, timeoutMs)
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish(error.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'spawn-error', message: error.message })
    })
    child.on('close', (code, signal) => {
      finish({ kind: 'exited', code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') })
    })
  })
}

export const gpuQueryFields = ['index', 'name', 'memory.total', 'memory.used', 'memory.free', 'driver_version', 'compute_cap', 'utilization.gpu'] as const

export function gpuQueryArgs(fields: readonly string[] = gpuQueryFields): string[] {
  return [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits']
}

export class NvidiaSmiOutputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NvidiaSmiOutputError'
  }
}

const MiB = 1024 ** 2

/** "[N/A]", "[Not Supported]", "N/A" and empty cells mean the driver does not report the value. */
function isMissing(cell: string): boolean {
  return cell === '' || /^\[?(N\/A|Not Supported|Unknown Error|Insufficient Permissions)\]?$/i.test(cell)
}

function number(cell: string): number | null {
  if (isMissing(cell)) return null
  const value = Number(cell)
  return Number.isFinite(value) ? value : Number.NaN
}

/**
 * Parses `--query-gpu=<fields> --format=csv,noheader,nounits` output, one GPU per line.
 * Throws {@link NvidiaSmiOutputError} quoting the first line that is not what was asked for.
 */
export function parseGpuQuery(stdout: string, fields: readonly string[] = gpuQueryFields): GpuInfo[] {
  const lines = stdout.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '')
  return lines.map((line, lineIndex) => {
    const cells = line.split(',').map((cell) => cell.trim())
    if (cells.length !== fields.length) {
      throw new NvidiaSmiOutputError(`line ${lineIndex + 1} has ${cells.length} fields instead of ${fields.length}: "${line.slice(0, 120)}"`)
    }
    const cell = (field: string): string => cells[fields.indexOf(field)] ?? ''
    const index = number(cell('index'))
    const total = number(cell('memory.total'))
    if (index === null || !Number.isInteger(index) || total === null || Number.isNaN(total)) {
      throw new NvidiaSmiOutputError(`line ${lineIndex + 1} has no GPU index or total memory: "${line.slice(0, 120)}"`)
    }
    const used = fields.includes('memory.used') ? number(cell('memory.used')) : null
    const free = fields.includes('memory.free') ? number(cell('memory.free')) : null
    const utilisation = fields.includes('utilization.gpu') ? number(cell('utilization.gpu')) : null
    const bad = [used, free, utilisation].some((value) => value !== null && Number.isNaN(value))
    if (bad) throw new NvidiaSmiOutputError(`line ${lineIndex + 1} has a value that is not a number: "${line.slice(0, 120)}"`)
    const computeCapability = fields.includes('compute_cap') && !isMissing(cell('compute_cap')) ? cell('compute_cap') : null
    const driver = fields.includes('driver_version') && !isMissing(cell('driver_version')) ? cell('driver_version') : null
    const utilisationCell = fields.includes('utilization.gpu') ? cell('utilization.gpu') : ''
    return {
      index,
      name: cell('name'),
      memoryTotalBytes: total * MiB,
      memoryUsedBytes: used === null ? null : used * MiB,
      memoryFreeBytes: free === null ? null : free * MiB,
      driverVersion: driver,
      computeCapability,
      utilizationPercent: utilisation,
      // With MIG enabled the driver cannot attribute utilisation to the whole GPU and prints
      // [N/A] for it while memory is still reported.
      migEnabled: utilisationCell !== '' && isMissing(utilisationCell) && used !== null,
      source: 'nvidia-smi' as const
    }
  })
}

export type GpuQueryResult = { gpus: GpuInfo[]; status: GpuDetectionStatus }

function firstLine(text: string): string {
  return text.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== '') ?? ''
}

/** Lists NVIDIA GPUs with nvidia-smi and says plainly what went wrong when it cannot. */
export async function queryGpus(options: NvidiaSmiOptions = {}): Promise<GpuQueryResult & { run: NvidiaSmiRun }> {
  let fields: readonly string[] = gpuQueryFields
  let run = await runNvidiaSmi(gpuQueryArgs(fields), options)
  // Drivers older than 510 do not know compute_cap; ask again without it.
  if (run.kind === 'exited' && run.code !== 0 && /compute_cap/.test(run.stdout + run.stderr) && /not a valid field/i.test(run.stdout + run.stderr)) {
    fields = gpuQueryFields.filter((field) => field !== 'compute_cap')
    run = await runNvidiaSmi(gpuQueryArgs(fields), options)
  }
  if (run.kind === 'missing') {
    return { run, gpus: [], status: { code: 'nvidia-smi-missing', message: 'nvidia-smi was not found on the PATH, so LocalTune cannot see NVIDIA GPUs.', action: 'If this computer has an NVIDIA GPU, install the NVIDIA driver (it provides nvidia-smi) and restart LocalTune. Without one, training runs on the CPU: the built-in demo, and small real models slowly.' } }
  }
  if (run.kind === 'timeout') {
    return { run, gpus: [], status: { code: 'nvidia-smi-timeout', message: `nvidia-smi did not answer within ${(run.timeoutMs / 1000).toFixed(1)} s and was stopped: the NVIDIA driver seems stuck.`, action: 'Run `nvidia-smi` in a terminal to see whether it hangs; restarting the computer (or reloading the driver) usually clears it.' } }
  }
  if (run.kind === 'spawn-error') {
    return { run, gpus: [], status: { code: 'nvidia-smi-failed', message: `nvidia-smi could not be started: ${run.message}.`, action: 'Check that nvidia-smi is executable (run it in a terminal) and reinstall the NVIDIA driver if it is not.' } }
  }
  const output = `${run.stdout}\n${run.stderr}`
  if (/No devices were found/i.test(output)) {
    return { run, gpus: [], status: { code: 'no-nvidia-gpu', message: noGpuMessage, action: null } }
  }
  if (run.code !== 0) {
    const driver = /couldn't communicate with the NVIDIA driver|NVML|driver/i.test(output)
    return {
      run,
      gpus: [],
      status: {
        code: 'nvidia-smi-failed',
        message: `nvidia-smi failed (exit code ${run.code}): ${firstLine(output) || 'no output'}`,
        action: driver ? 'The NVIDIA driver is not working: install (or reinstall) it, then restart the computer.' : 'Run `nvidia-smi` in a terminal to see the full error.'
      }
    }
  }
  try {
    const gpus = parseGpuQuery(run.stdout, fields)
    if (gpus.length === 0) return { run, gpus, status: { code: 'no-nvidia-gpu', message: noGpuMessage, action: null } }
    const names = gpus.map((gpu) => `${gpu.index}: ${gpu.name}${gpu.migEnabled ? ' (MIG enabled)' : ''}`).join('; ')
    const mig = gpus.some((gpu) => gpu.migEnabled) ? ' MIG is enabled on some GPUs: a training process sees only its MIG instance\'s memory, which can be much less than the total shown.' : ''
    return { run, gpus, status: { code: 'ok', message: `${gpus.length} NVIDIA GPU${gpus.length > 1 ? 's' : ''}: ${names}.${mig}`, action: null } }
  } catch (error) {
    return {
      run,
      gpus: [],
      status: { code: 'nvidia-smi-unreadable', message: `nvidia-smi printed something LocalTune cannot read (${(error as Error).message}).`, action: 'Run `nvidia-smi` in a terminal; if its output looks wrong, update the NVIDIA driver. Another program named nvidia-smi earlier on the PATH can also cause this.' }
    }
  }
}

import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { isProcessAlive } from '../../../../src/main/core/runs/process-liveness'

describe('isProcessAlive', () => {
  it('sees this process, and not a pid that names nothing', () => {
    expect(isProcessAlive(process.pid)).toBe(true)
    expect(isProcessAlive(null)).toBe(false)
    expect(isProcessAlive(0)).toBe(false)
    expect(isProcessAlive(2 ** 22 + 12345)).toBe(false)
  })

  it('sees a child until it is killed', async () => {
    const child = spawn('sleep', ['30'])
    const exited = new Promise((resolve) => child.once('exit', resolve))
    expect(isProcessAlive(child.pid)).toBe(true)
    child.kill('SIGKILL')
    await exited
    expect(isProcessAlive(child.pid)).toBe(false)
  })

  it.runIf(process.platform === 'linux')('does not take a process running something else for ours', async () => {
    const child = spawn('sleep', ['30'])
    try {
      expect(isProcessAlive(child.pid, { commandIncludes: 'sleep' })).toBe(true)
      expect(isProcessAlive(child.pid, { commandIncludes: 'localtune_runtime' })).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../../src/main/core/create-core'
import { isSameProcessAlive, processStartTime } from '../../../../src/main/core/runs/process-liveness'
import { ownedBy } from '../../../../src/main/core/runs/run-ownership'
import { RunStore } from '../../../../src/main/core/runs/run-store'
import { makeTempHome } from '../../../helpers/temp-home'
import { waitUntil } from '../../../helpers/training-home'

/** A run row as another LocalTune process (`hostPid`) writes it while its run trains. */
function peerRun(core: Core, id: string, hostPid: number, hostStarted: string | null): void {
  const runDir = path.join(core.home, 'runs', id)
  fs.mkdirSync(runDir, { recursive: true })
  new RunStore(core.db).insert({
    id,
    project_id: null,
    status: 'running',
    run_dir: runDir,
    created_at: new Date().toISOString(),
    attempt_started_at: new Date().toISOString(),
    host_pid: hostPid,
    host_started: hostStarted,
    host_token: 'peer'
  })
}

describe('runs of a peer LocalTune whose host dies', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup()
  })

  it('are marked interrupted within a few seconds, not left running', async () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    const core = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home }, runs: { warn: () => {}, peerCheckIntervalMs: 100 } })
    cleanups.push(() => core.close())
    const peer = spawn('sleep', ['60'])
    cleanups.push(() => peer.kill('SIGKILL'))
    await new Promise((resolve) => peer.once('spawn', resolve))
    peerRun(core, '20260101-000000-peer', peer.pid!, processStartTime(peer.pid))
    // Alive: the run is the peer's and stays running.
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(core.runs.summary('20260101-000000-peer').status).toBe('running')

    const exited = new Promise((resolve) => peer.once('exit', resolve))
    peer.kill('SIGKILL')
    await exited
    await waitUntil(() => core.runs.summary('20260101-000000-peer').status === 'interrupted', 'the dead peer’s run to be marked', 5000)
    expect(core.runs.summary('20260101-000000-peer').failure?.message).toContain('closed or crashed')
  })

  it.runIf(process.platform === 'linux')('does not take a new process that got the dead host’s pid for the host', () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    const first = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home }, runs: { warn: () => {} } })
    cleanups.push(() => first.close())
    // The pid is alive (it is this process's parent), but it started at another time than recorded.
    peerRun(first, '20260101-000000-reuse', process.ppid, 'boot:1')
    const second = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home }, runs: { warn: () => {} } })
    cleanups.push(() => second.close())
    expect(second.runs.summary('20260101-000000-reuse').status).toBe('interrupted')
  })
})

describe('runs of a supervisor that closes', () => {
  it('are left alone while it is open and recovered by the next supervisor once it has closed', () => {
    const temp = makeTempHome()
    const env = { ...process.env, LOCALTUNE_HOME: temp.home }
    const first = createCore({ home: temp.home, env, runs: { warn: () => {} } })
    try {
      const runDir = path.join(temp.home, 'runs', '20260101-000000-open')
      fs.mkdirSync(runDir, { recursive: true })
      // A run the first supervisor owns (its row as the first supervisor writes it, before its runtime has a pid).
      new RunStore(first.db).insert({ id: '20260101-000000-open', project_id: null, status: 'running', run_dir: runDir, created_at: new Date().toISOString(), ...ownedBy(first.runs.hostToken) })
      const second = createCore({ home: temp.home, env, runs: { warn: () => {} } })
      expect(second.runs.summary('20260101-000000-open').status).toBe('running')
      second.close()

      first.close()
      const third = createCore({ home: temp.home, env, runs: { warn: () => {} } })
      expect(third.runs.summary('20260101-000000-open')).toMatchObject({ status: 'interrupted', canResume: true })
      third.close()
    } finally {
      first.close()
      temp.cleanup()
    }
  })
})

describe.runIf(process.platform === 'linux')('process start times', () => {
  it('name one process: the same pid with another start time is another process', () => {
    const mine = processStartTime(process.pid)
    expect(mine).toMatch(/^[\w-]+:\d+$/)
    expect(processStartTime(process.pid)).toBe(mine)
    expect(isSameProcessAlive(process.pid, mine)).toBe(true)
    expect(isSameProcessAlive(process.pid, `${mine}0`)).toBe(false)
    expect(isSameProcessAlive(process.pid, null)).toBe(true)
    expect(processStartTime(2 ** 22 + 12345)).toBeNull()
  })
})

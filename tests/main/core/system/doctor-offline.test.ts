import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { PackageIndexStatus } from '../../../../src/shared/contract'
import { noGpuMessage } from '../../../../src/shared/hardware/types'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { createCore, type Core } from '../../../../src/main/core/create-core'
import { buildDoctorReport } from '../../../../src/main/core/system/doctor'
import { makeTempHome } from '../../../helpers/temp-home'

// With no training runtime, the doctor asks pip (as this machine configures it) whether a package
// index answers, and names the set-up or the offline route by the answer. Both answers are real:
// the machine's configured index, and an index on a port where nothing listens.

function reportWith(packageIndex: PackageIndexStatus) {
  return buildDoctorReport({
    home: os.tmpdir(),
    database: { path: '/tmp/localtune.db', schemaVersion: 4, latestVersion: 4, journalMode: 'wal', integrity: 'ok', runFolders: 0, indexedRuns: 0, problems: [], repairs: [] },
    electron: { version: '42.0.0', binaryPresent: true, executable: '/app/node_modules/electron/dist/electron' },
    python: {
      found: false, executable: null, source: null, pythonVersion: null, torchVersion: null, cudaAvailable: false, cudaVersion: null,
      packages: {}, gpus: [], tried: [], problem: 'No Python with torch was found.', fix: 'Run `npm run runtime:setup`.'
    },
    gpus: { status: 'none', message: noGpuMessage, gpus: [], fix: null },
    packageIndex
  })
}

/** The machine's environment without a runtime: LOCALTUNE_PYTHON names a Python that is not there. */
function noRuntimeEnv(home: string, pip: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, LOCALTUNE_HOME: home, LOCALTUNE_PYTHON: path.join(home, 'no-such-python'), ...pip }
}

/** No pip setting of the machine (pip.conf, PIP_* variables) reaches pip: only a dead index. */
function deadIndexEnv(home: string): NodeJS.ProcessEnv {
  const env = noRuntimeEnv(home)
  for (const name of Object.keys(env)) if (name.startsWith('PIP_')) delete env[name]
  return { ...env, PIP_CONFIG_FILE: '/dev/null', PIP_INDEX_URL: 'http://127.0.0.1:9/simple' }
}

let core: Core | null = null
let cleanup: (() => void) | null = null

function startCore(env: (home: string) => NodeJS.ProcessEnv): Core {
  const temp = makeTempHome()
  cleanup = temp.cleanup
  core = createCore({ home: temp.home, env: env(temp.home) })
  return core
}

afterEach(() => {
  core?.close()
  cleanup?.()
  core = null
  cleanup = null
})

describe('doctor: no training runtime', () => {
  it('says "run the set-up" where an index answers, and the offline route with what pip said where none does', () => {
    const setUp = reportWith({ status: 'answers', detail: 'pip found pip 26.2.1 at https://pypi.org/simple/pip/' }).checks.find((check) => check.id === 'python')
    expect(setUp?.level).toBe('error')
    expect(setUp?.fix).toBe('A package index answers (pip found pip 26.2.1 at https://pypi.org/simple/pip/): run the set-up. Run `npm run runtime:setup`.')
    const offline = reportWith({ status: 'no-answer', detail: 'pip said http://127.0.0.1:9/simple/pip/: [Errno 111] Connection refused' }).checks.find((check) => check.id === 'python')
    expect(offline?.fix).toMatch(/^No package index answered \(pip said http:\/\/127\.0\.0\.1:9\/simple\/pip\/: \[Errno 111\] Connection refused\): take the offline route: run `localtune runtime pack --out DIR` on a connected machine/)
    expect(offline?.fix).not.toContain('runtime:setup')
  })

  it("asks the machine's configured index: it answers, so the doctor says to run the set-up", async () => {
    const started = startCore((home) => noRuntimeEnv(home))
    const report = await started.handlers['system.doctor']({ refresh: false, waitForPackageIndex: true })
    expect(report.python.found).toBe(false)
    expect(report.packageIndex).toMatchObject({ status: 'answers', detail: expect.stringMatching(/^pip found pip \d/) })
    expect(report.checks.find((check) => check.id === 'python')?.fix).toMatch(/^A package index answers \(pip found pip .*\): run the set-up\./)
  })

  it('asks a dead index: "checking" at first, then no answer with the refusal pip saw, once per session, and the offline route', async () => {
    const started = startCore(deadIndexEnv)
    // The app's doctor does not wait for pip: the check runs on while the report is answered.
    const first = await dispatchContractCall(started.handlers, 'system.doctor', {})
    expect(first).toMatchObject({ ok: true, value: { packageIndex: { status: 'checking' } } })
    const asked = await dispatchContractCall(started.handlers, 'system.package-index', {})
    expect(asked).toMatchObject({ ok: true, value: { status: 'no-answer', detail: expect.stringContaining('http://127.0.0.1:9/simple/pip/: [Errno 111] Connection refused') } })
    const again = await started.handlers['system.doctor']({ refresh: false, waitForPackageIndex: false })
    expect(again.packageIndex).toEqual((asked as { value: PackageIndexStatus }).value)
    expect(again.checks.find((check) => check.id === 'python')?.fix).toContain('No package index answered (pip said http://127.0.0.1:9/simple/pip/: [Errno 111] Connection refused): take the offline route')
  })
})

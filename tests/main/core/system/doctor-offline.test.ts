import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { noGpuMessage } from '../../../../src/shared/hardware/types'
import { buildDoctorReport } from '../../../../src/main/core/system/doctor'

describe('doctor: no training runtime', () => {
  it('names the offline route (runtime pack on a connected machine, runtime install --from here) beside the set-up fix', () => {
    const report = buildDoctorReport({
      home: os.tmpdir(),
      database: { path: '/tmp/localtune.db', schemaVersion: 4, latestVersion: 4, journalMode: 'wal', integrity: 'ok', runFolders: 0, indexedRuns: 0, problems: [], repairs: [] },
      electron: { version: '42.0.0', binaryPresent: true, executable: '/app/node_modules/electron/dist/electron' },
      python: {
        found: false, executable: null, source: null, pythonVersion: null, torchVersion: null, cudaAvailable: false, cudaVersion: null,
        packages: {}, gpus: [], tried: [], problem: 'No Python with torch was found.', fix: 'Run `npm run runtime:setup`.'
      },
      gpus: { status: 'none', message: noGpuMessage, gpus: [], fix: null }
    })
    const check = report.checks.find((candidate) => candidate.id === 'python')
    expect(check?.level).toBe('error')
    expect(check?.fix).toBe('Run `npm run runtime:setup`. Offline (no package index answers): `localtune runtime pack --out DIR` on a connected machine, then `localtune runtime install --from DIR` here.')
  })
})

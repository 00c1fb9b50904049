import os from 'node:os'
import { describe, expect, it } from 'vitest'
import type { PythonRuntimeStatus } from '../../../../src/shared/contract'
import { noGpuMessage } from '../../../../src/shared/hardware/types'
import { buildDoctorReport, type GpuFacts } from '../../../../src/main/core/system/doctor'

const GiB = 1024 ** 3

function runtime(patch: Partial<PythonRuntimeStatus> = {}): PythonRuntimeStatus {
  return {
    found: true,
    executable: '/app/python-runtime/.venv/bin/python',
    source: 'app-venv',
    pythonVersion: '3.12.3',
    torchVersion: '2.13.0+cpu',
    cudaAvailable: false,
    cudaVersion: null,
    packages: { transformers: '5.18.0', peft: '0.21.0' },
    gpus: [],
    tried: [],
    problem: null,
    fix: null,
    ...patch
  }
}

const rtx4090: GpuFacts = { status: 'ok', message: '1 NVIDIA GPU: 0: NVIDIA GeForce RTX 4090.', gpus: [{ index: 0, name: 'NVIDIA GeForce RTX 4090', memoryTotalBytes: 24 * GiB, memoryFreeBytes: 23 * GiB }], fix: null }
const noGpu: GpuFacts = { status: 'none', message: noGpuMessage, gpus: [], fix: null }

function report(python: PythonRuntimeStatus, gpus: GpuFacts) {
  return buildDoctorReport({
    home: os.tmpdir(),
    database: { path: '/tmp/localtune.db', schemaVersion: 4, latestVersion: 4, journalMode: 'wal', integrity: 'ok', runFolders: 0, indexedRuns: 0, problems: [], repairs: [] },
    electron: { version: '42.0.0', binaryPresent: true, executable: '/app/node_modules/electron/dist/electron' },
    python,
    gpus
  })
}

describe('doctor: the training runtime check', () => {
  it('a CPU-only torch on a machine with an NVIDIA GPU is not "ready": it says so and how to get the CUDA runtime', () => {
    const check = report(runtime(), rtx4090).checks.find((candidate) => candidate.id === 'python')
    expect(check?.level).toBe('warning')
    expect(check?.detail).toContain('torch 2.13.0+cpu, CPU-only build')
    expect(check?.detail).toContain("The training runtime's torch 2.13.0+cpu in /app/python-runtime/.venv/bin/python is a CPU-only build, but this machine has an NVIDIA GPU (NVIDIA GeForce RTX 4090)")
    expect(check?.fix).toContain('localtune setup-runtime --cuda --fresh')
  })

  it('a CUDA torch the driver cannot run names the CUDA version it needs', () => {
    const check = report(runtime({ torchVersion: '2.13.0+cu128', cudaVersion: '12.8' }), rtx4090).checks.find((candidate) => candidate.id === 'python')
    expect(check?.level).toBe('warning')
    expect(check?.detail).toContain('built for CUDA 12.8 but cannot use an NVIDIA GPU (NVIDIA GeForce RTX 4090)')
    expect(check?.fix).toContain('Update the NVIDIA driver to one that supports CUDA 12.8')
  })

  it('the same CPU-only torch on a machine without a GPU is ready, and the GPU line says real models train on the CPU too', () => {
    const checks = report(runtime(), noGpu).checks
    expect(checks.find((candidate) => candidate.id === 'python')).toMatchObject({ level: 'ok', fix: null })
    expect(checks.find((candidate) => candidate.id === 'gpus')?.detail).toBe(noGpuMessage)
  })

  it('a CUDA torch that sees the GPU is ready', () => {
    const check = report(runtime({ torchVersion: '2.13.0+cu128', cudaVersion: '12.8', cudaAvailable: true }), rtx4090).checks.find((candidate) => candidate.id === 'python')
    expect(check).toMatchObject({ level: 'ok', fix: null })
    expect(check?.detail).toContain('CUDA 12.8')
  })
})

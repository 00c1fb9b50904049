import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { countParameters } from '../../../src/shared/estimator/model-layers'
import { tinyDemoArchitecture } from '../../../src/shared/estimator/tiny-demo'

const root = path.resolve(import.meta.dirname, '..', '..', '..')
// LOCALTUNE_PYTHON, else the runtime venv (`npm run runtime:setup -- --cpu --with-tests`).
const python = process.env.LOCALTUNE_PYTHON || path.join(root, 'python-runtime', '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')

describe('the estimator\'s tiny demo model', () => {
  it('has exactly the parameters of the model the runtime builds', () => {
    const script = 'from localtune_runtime.backends.tiny_demo import build_base_model\nprint(sum(p.numel() for p in build_base_model(False).parameters()))'
    const result = spawnSync(python, ['-c', script], { cwd: path.join(root, 'python-runtime'), encoding: 'utf8', timeout: 60_000 })
    expect(result.stderr).toBe('')
    expect(countParameters(tinyDemoArchitecture).total).toBe(Number(result.stdout.trim()))
  })
})

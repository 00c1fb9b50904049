import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { PythonRuntimeStatus } from '../../../../src/shared/contract'
import { EventHub } from '../../../../src/main/core/event-hub'
import { Playground } from '../../../../src/main/core/runs/playground'
import type { RunRow } from '../../../../src/main/core/runs/run-store'
import { makeTempHome } from '../../../helpers/temp-home'

// A stand-in for the runtime's Python: answers the request with the GPU it was given to see, so
// the test sees which device the playground would load the model on.
const standInPython = `#!/bin/sh
cat > /dev/null
echo "{\\"type\\": \\"answer\\", \\"model\\": \\"finetuned\\", \\"text\\": \\"gpu=[$CUDA_VISIBLE_DEVICES]\\", \\"stop\\": \\"end\\", \\"new_tokens\\": 1, \\"prompt_tokens\\": 3}"
`

describe('Playground and the GPUs runs use', () => {
  const temp = makeTempHome()
  afterAll(() => temp.cleanup())

  function playground(trainingOn: string | null): { generate(gpu: number | null): ReturnType<Playground['generate']> } {
    const python = path.join(temp.home, 'python')
    fs.writeFileSync(python, standInPython, { mode: 0o755 })
    const status = { found: true, executable: python, problem: null, fix: null } as unknown as PythonRuntimeStatus
    const deps = { env: { PATH: process.env.PATH }, runtimeDir: temp.home, events: new EventHub(), pythonRuntime: async () => status, trainingOnGpu: () => trainingOn }
    const runDir = fs.mkdtempSync(path.join(temp.home, 'run-'))
    return {
      generate: (gpu) =>
        new Playground(deps).generate({ id: 'r1', run_dir: runDir, gpu_index: gpu, config_json: null } as unknown as RunRow, { input: { kind: 'raw', prompt: 'Hi' } })
    }
  }

  it("answers on the run's GPU when it is free", async () => {
    const result = await playground(null).generate(1)
    expect(result.answers[0]?.text).toBe('gpu=[1]')
    expect(result.notice).toBeNull()
  })

  it('stays off a GPU that a run is training on, and says so', async () => {
    const result = await playground('20261203-run').generate(1)
    expect(result.answers[0]?.text).toBe('gpu=[]')
    expect(result.notice).toBe('GPU 1 is training run 20261203-run, so this answer was generated on the CPU (slower).')
  })
})

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { estimateCommand } from '../../../../src/main/cli/commands/estimate'
import { cliContext, collectingIo } from '../../../helpers/temp-home'
import { testPython } from '../../../helpers/training-home'
import { pathWithoutNvidiaSmi } from '../../core/hardware/fake-nvidia-smi'

/** `localtune estimate --verify`: the estimate, then the real runtime's measurement beside it (the built-in demo model on the CPU). */
describe('localtune estimate --verify', { timeout: 120_000 }, () => {
  let root: string
  let bare: ReturnType<typeof pathWithoutNvidiaSmi>
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-cli-verify-'))
    fs.mkdirSync(path.join(root, 'dataset'))
    const rows = Array.from({ length: 12 }, (_, i) => ({ prompt: `### Instruction: colour ${i}?\n### Response: `, response: `red ${i}`.repeat(1 + (i % 4)), row: i + 1 }))
    fs.writeFileSync(path.join(root, 'dataset', 'train.jsonl'), rows.map((row) => JSON.stringify(row)).join('\n') + '\n')
    bare = pathWithoutNvidiaSmi()
  })
  afterAll(() => {
    bare.cleanup()
    fs.rmSync(root, { recursive: true, force: true })
  })
  const context = () => cliContext({ ...bare.env, LOCALTUNE_PYTHON: testPython, HF_HUB_CACHE: path.join(root, 'hub') }, root, path.join(root, 'home'))

  it('prints measured beside estimated, the measured step time and the time it makes', async () => {
    const { out, err, io } = collectingIo()
    const code = await estimateCommand.run(['--model', 'localtune/tiny-demo', '--dataset', 'dataset', '--max-length', '128', '--micro-batch', '4', '--verify'], io, context())
    expect(code, err.join('\n')).toBe(0)
    const text = out.join('\n')
    expect(text).toMatch(/Measured on cpu \(fp32, 3 steps on the longest 4 examples, \d+ tokens each\)/)
    expect(text).toMatch(/Weights and adapters +\d+\.\d\d GiB +\d+\.\d\d GiB/)
    expect(text).toMatch(/Peak process memory +\d+\.\d\d GiB +\d+\.\d\d GiB/)
    expect(text).toMatch(/Measured peak vs estimate: [+−±]\d+ %/)
    expect(text).toMatch(/Step time on the longest examples: \d+\.\d{3} s/)
    expect(text).toMatch(/Training time from the measured speed: \d+/)
    expect(text).toContain('Verdict: FITS (measured)')
    expect(err.join('\n')).toMatch(/verify: Step 3 of 3/)
  })

  it('refuses what it cannot measure: no data, or a GPU that is not here', async () => {
    const { io } = collectingIo()
    await expect(estimateCommand.run(['--model', 'localtune/tiny-demo', '--verify'], io, context())).rejects.toThrow(/--verify needs --dataset DIR/)
    await expect(estimateCommand.run(['--model', 'localtune/tiny-demo', '--dataset', 'dataset', '--gpu', 'RTX 4090', '--verify'], io, context())).rejects.toThrow(/leave out --gpu and --vram/)
  })
})

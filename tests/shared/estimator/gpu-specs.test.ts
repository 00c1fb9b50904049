import { describe, expect, it } from 'vitest'
import { knownGpuSpecs, matchGpuSpec, supportsBf16 } from '../../../src/shared/estimator/gpu-specs'

describe('GPU table', () => {
  it('matches the names nvidia-smi prints', () => {
    const cases: Array<[string, number | null, string]> = [
      ['NVIDIA GeForce RTX 4090', 24564, 'RTX 4090'],
      ['NVIDIA GeForce RTX 3090', 24576, 'RTX 3090'],
      ['NVIDIA GeForce RTX 3090 Ti', 24564, 'RTX 3090 Ti'],
      ['NVIDIA RTX A6000', 49140, 'RTX A6000'],
      ['NVIDIA RTX 6000 Ada Generation', 49140, 'RTX 6000 Ada'],
      ['NVIDIA A100-SXM4-40GB', 40960, 'A100 40GB'],
      ['NVIDIA A100-SXM4-80GB', 81920, 'A100 80GB'],
      ['NVIDIA A100 80GB PCIe', 81920, 'A100 80GB'],
      ['NVIDIA A100-PCIE-40GB', 40536, 'A100 40GB'],
      ['NVIDIA H100 80GB HBM3', 81559, 'H100 SXM'],
      ['NVIDIA H100 PCIe', 81559, 'H100 PCIe'],
      ['NVIDIA H200', 143771, 'H200'],
      ['NVIDIA L4', 23034, 'L4'],
      ['NVIDIA L40S', 46068, 'L40S'],
      ['NVIDIA L40', 46068, 'L40'],
      ['NVIDIA A10', 23028, 'A10'],
      ['Tesla T4', 15360, 'T4'],
      ['Tesla V100-SXM2-16GB', 16160, 'V100 SXM2 16GB'],
      ['Tesla V100-SXM2-32GB', 32510, 'V100 SXM2 32GB']
    ]
    for (const [name, memory, expected] of cases) expect(matchGpuSpec(name, memory)?.name, name).toBe(expected)
  })

  it('matches what a user types and tells 40 from 80 GB by memory', () => {
    expect(matchGpuSpec('rtx 4090')?.name).toBe('RTX 4090')
    expect(matchGpuSpec('A100', 81920)?.name).toBe('A100 80GB')
    expect(matchGpuSpec('A100')?.name).toBe('A100 40GB')
    expect(matchGpuSpec('a100 80gb')?.name).toBe('A100 80GB')
  })

  it('does not guess unknown GPUs (A10G, A100 is not A10)', () => {
    expect(matchGpuSpec('NVIDIA A10G')).toBeNull()
    expect(matchGpuSpec('NVIDIA GeForce GTX 1080 Ti')).toBeNull()
    expect(matchGpuSpec('NVIDIA A100-SXM4-40GB')?.name).not.toBe('A10')
  })

  it('knows GeForce cards run bf16 with fp32 accumulation at half their fp16-accumulate rate, and older cards lack bf16', () => {
    expect(matchGpuSpec('RTX 3090')?.bf16).toBe(71)
    expect(matchGpuSpec('A100')?.bf16).toBe(312)
    expect(matchGpuSpec('Tesla T4')?.bf16).toBeNull()
    expect(supportsBf16('8.0')).toBe(true)
    expect(supportsBf16('7.5')).toBe(false)
    expect(supportsBf16(null)).toBeNull()
    expect(knownGpuSpecs().every((spec) => spec.fp16 > spec.fp32 && spec.memoryMiB > 10000)).toBe(true)
  })
})

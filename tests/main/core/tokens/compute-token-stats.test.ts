import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Papa from 'papaparse'
import { Tokenizer } from '@huggingface/tokenizers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { computeTokenStats, tokenCounterFor } from '../../../../src/main/core/tokens/compute-token-stats'
import { readTrainingTexts } from '../../../../src/main/core/tokens/training-texts'
import { tinyDemoEntry } from '../../../../src/shared/estimator/tiny-demo'
import { countTruncated } from '../../../../src/shared/estimator/token-stats'

const shared = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../../shared/data')
const gpt2 = path.join(shared, 'model-configs', 'openai-community--gpt2')
const phi3 = path.join(shared, 'model-configs', 'microsoft--Phi-3-mini-4k-instruct')

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-tokens-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

/** The first `rows` rows of the real GPTeacher roleplay CSV as a chat train.jsonl, the way the app exports it. */
function gpteacherJsonl(rows: number): { file: string; texts: string[] } {
  const parsed = Papa.parse<{ instruction: string; input: string; output: string }>(fs.readFileSync(path.join(shared, 'gpteacher-roleplay.csv'), 'utf8'), { header: true, skipEmptyLines: true })
  const examples = parsed.data.slice(0, rows).map((row) => ({ prompt: `### Instruction: ${row.instruction}\n${row.input ? `### Input: ${row.input}\n` : ''}### Response: `, response: row.output }))
  const file = path.join(dir, 'train.jsonl')
  fs.writeFileSync(file, `${examples.map((example) => JSON.stringify(example)).join('\n')}\n`)
  return { file, texts: examples.map((example) => example.prompt + example.response) }
}

function directCounts(tokenizerDir: string, texts: string[], eos: number | null): number[] {
  const configFile = path.join(tokenizerDir, 'tokenizer_config.json')
  const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(path.join(tokenizerDir, 'tokenizer.json'), 'utf8')), fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : {})
  return texts.map((text) => {
    const ids = tokenizer.encode(text).ids
    return ids.length + (eos !== null && ids[ids.length - 1] === eos ? 0 : 1)
  })
}

describe('token statistics with the model tokenizer (worker thread)', () => {
  it('counts with the real GPT-2 tokenizer.json, adding the EOS the runtime appends', async () => {
    const stats = await computeTokenStats(['Hello World', 'Hello World, how are you?'], { counter: { kind: 'tokenizer', dir: gpt2 } })
    // "Hello World" is [15496, 2159] in GPT-2's vocabulary; + EOS.
    expect(stats.counts).toEqual([3, 8])
    expect(stats.approximate).toBe(false)
    expect(stats.method).toContain(path.join(gpt2, 'tokenizer.json'))
  })

  it('counts with the real Phi-3 tokenizer and does not add a second EOS', async () => {
    const stats = await computeTokenStats(['Hello World', 'Hello World<|endoftext|>'], { counter: { kind: 'tokenizer', dir: phi3 } })
    expect(stats.counts).toEqual([3, 3])
  })

  it('streams a real train.jsonl in batches and matches counting each example directly', async () => {
    const { file, texts } = gpteacherJsonl(300)
    const progress: number[] = []
    const stats = await computeTokenStats(readTrainingTexts(file), { counter: { kind: 'tokenizer', dir: phi3 }, batchSize: 64, onProgress: (examples) => progress.push(examples) })
    const expected = directCounts(phi3, texts, 32000)
    expect(stats.counts).toEqual(expected)
    expect(progress).toEqual([64, 128, 192, 256, 300])
    expect(stats.exampleCount).toBe(300)
    expect(stats.totalTokens).toBe(expected.reduce((a, b) => a + b, 0))
    const sorted = [...expected].sort((a, b) => a - b)
    expect(stats.maxTokens).toBe(sorted[299])
    expect(stats.minTokens).toBe(sorted[0])
    expect(stats.p50Tokens).toBe(sorted[149])
    expect(stats.p95Tokens).toBe(sorted[284])
    expect(stats.histogram.reduce((sum, bin) => sum + bin.count, 0)).toBe(300)
    expect(stats.histogram.at(-1)?.to).toBeGreaterThan(stats.maxTokens)
    expect(countTruncated(stats, stats.p95Tokens)).toBe(expected.filter((count) => count > stats.p95Tokens).length)
  })

  it('says plainly when counts are approximated, and the approximation over-counts English text', async () => {
    const { texts } = gpteacherJsonl(500)
    const approximate = await computeTokenStats(texts, { counter: { kind: 'approximate', reason: 'this model has no tokenizer.json' } })
    expect(approximate.approximate).toBe(true)
    expect(approximate.method).toMatch(/approximated as UTF-8 bytes ÷ 4 \+ EOS because this model has no tokenizer.json/)
    expect(approximate.counts[0]).toBe(Math.ceil(Buffer.byteLength(texts[0] as string) / 4) + 1)
    for (const dir of [gpt2, phi3]) {
      const real = await computeTokenStats(texts, { counter: { kind: 'tokenizer', dir } })
      expect(approximate.totalTokens).toBeGreaterThan(real.totalTokens)
      expect(approximate.totalTokens).toBeLessThan(real.totalTokens * 1.3)
    }
  })

  it('counts the demo model exactly: UTF-8 bytes + EOS', async () => {
    const counter = tokenCounterFor(tinyDemoEntry())
    expect(counter).toEqual({ kind: 'bytes' })
    const stats = await computeTokenStats(['abc', 'Zürich'], { counter })
    expect(stats.counts).toEqual([4, 8])
    expect(stats.approximate).toBe(false)
  })

  it('names a tokenizer.json it cannot load', async () => {
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": {"type": "NoSuchModel"}}')
    await expect(computeTokenStats(['hello'], { counter: { kind: 'tokenizer', dir } })).rejects.toThrow(`${path.join(dir, 'tokenizer.json')} cannot be used`)
  })

  it('stops when cancelled', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(computeTokenStats(['a', 'b'], { counter: { kind: 'bytes' }, signal: controller.signal })).rejects.toThrow(/cancelled/)
  })
})

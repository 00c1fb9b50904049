import { describe, expect, it } from 'vitest'
import { compareWithReference, folderVerification, nearTieLogitGap } from '../../../../src/main/core/exports/export-verification'
import type { GreedyRun } from '../../../../src/main/core/exports/llama-cpp-protocol'
import type { ReferencePrompt, RuntimeExportResult } from '../../../../src/main/core/exports/runtime-export'

/** The trained model answered [10, 11, 12] then stopped with 2; margins per step. */
function reference(margins = [3, 3, 3, 3], overrides: Partial<ReferencePrompt> = {}): ReferencePrompt {
  return { prompt: 'P', parse_special: false, prompt_ids: [1, 5, 6], tokens: [10, 11, 12], margins, stop: 'end', stop_id: 2, text: 'abc', ...overrides }
}

function run(tokens: number[], stopId: number | null = 2, promptIds = [1, 5, 6]): GreedyRun {
  return { promptIds, tokens, stopId, text: tokens.join(',') }
}

const ok = [{ name: 'the Ollama template', matches: true, detail: '' }]

describe('comparing an export with the trained model', () => {
  it('same ids and same answers, end token included: same', () => {
    const verdict = compareWithReference([reference(), reference()], [run([10, 11, 12]), run([10, 11, 12])], 'f16', 'llama.cpp', ok)
    expect(verdict.status).toBe('same')
    expect(verdict.tokenAgreement).toBe(1)
    expect(verdict.summary).toBe('verified in llama.cpp: same answer as the trained model (8 of 8 tokens over 2 prompts)')
    expect(verdict.prompts[0]).toMatchObject({ tokensMatch: true, answerTokens: 4, agreeingTokens: 4, firstDifference: null })
  })

  it('parting where the trained model was undecided: close, with the agreement', () => {
    const verdict = compareWithReference([reference([3, 0.1, 3, 3])], [run([10, 99])], 'q8_0', 'llama.cpp', ok)
    expect(verdict.status).toBe('close')
    expect(verdict.prompts[0]).toMatchObject({ firstDifference: 1, marginAtDifference: 0.1, agreeingTokens: 1 })
    expect(verdict.tokenAgreement).toBe(0.25)
    expect(verdict.summary).toContain(`within ${nearTieLogitGap.q8_0} logits`)
  })

  it('parting where the trained model was sure: different', () => {
    const verdict = compareWithReference([reference()], [run([10, 11, 77])], 'q8_0', 'llama.cpp', ok)
    expect(verdict.status).toBe('different')
    expect(verdict.summary).toBe('not verified: llama.cpp answers differently where the trained model was sure (50.0 % of answer tokens agree)')
  })

  it('an export that never stops where the model stopped parts at the end token', () => {
    const verdict = compareWithReference([reference()], [run([10, 11, 12, 13], null)], 'f16', 'llama.cpp', ok)
    expect(verdict.prompts[0]).toMatchObject({ firstDifference: 3, agreeingTokens: 3 })
    expect(verdict.status).toBe('different')
  })

  it('other prompt ids: failed, whatever the answer', () => {
    const verdict = compareWithReference([reference()], [run([10, 11, 12], 2, [5, 6])], 'f16', 'llama.cpp', ok)
    expect(verdict.status).toBe('failed')
    expect(verdict.summary).toContain('splits the training prompt into other tokens')
  })

  it('a template that does not write the training prompt: failed', () => {
    const verdict = compareWithReference([reference()], [run([10, 11, 12])], 'f16', 'llama.cpp', [{ name: "the GGUF file's chat template", matches: false, detail: 'x' }])
    expect(verdict.status).toBe('failed')
    expect(verdict.summary).toBe("not verified: the GGUF file's chat template does not write the training prompt")
  })

  it('a reference cut at max tokens agrees with an export that goes on', () => {
    const cut = reference([3, 3, 3], { stop: 'length', stop_id: null })
    expect(compareWithReference([cut], [run([10, 11, 12], null)], 'f16', 'llama.cpp', ok).status).toBe('same')
  })

  it("the runtime's reload of a folder export reads the same way", () => {
    const result = {
      reference: { prompts: [reference()], device: 'cpu', max_new_tokens: 24, eos_id: 2, stop_ids: [2] },
      verification: { tool: 'transformers', same: true, answers: [{ tokens: [10, 11, 12], stop_id: 2, first_difference: null, same: true }] }
    } as unknown as RuntimeExportResult
    const verdict = folderVerification(result)
    expect(verdict.status).toBe('same')
    expect(verdict.summary).toBe('verified in transformers: loaded from the export folder, same answer as the trained model (4 tokens over 1 prompt)')
  })
})

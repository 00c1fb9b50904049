import type { ExportVerification, GgufQuant } from '../../../shared/contract/exports'
import type { GreedyRun } from './llama-cpp-protocol'
import type { ReferencePrompt, RuntimeExportResult } from './runtime-export'

/**
 * Whether an export answers like the trained model: the same prompt ids, then the same greedy
 * answer token for token.
 *
 * Where answers part, the trained model's own certainty decides what it means. If its two best
 * tokens were within `nearTieLogitGap` of each other, the rounding of f16 or a quantized type can
 * legitimately pick the other one: "close". If it was sure and the export still chose otherwise,
 * the export is not the model (wrong tensor layout, wrong RoPE, wrong tokenizer): "different".
 * The gaps grow with the rounding error of each type (measured in docs/exports.md).
 */
export const nearTieLogitGap: Record<GgufQuant, number> = {
  f32: 0.05,
  bf16: 0.5,
  f16: 0.25,
  q8_0: 0.75,
  q5_1: 1.5,
  q5_0: 1.5,
  q4_1: 2.5,
  q4_0: 2.5
}

export interface TemplateCheck {
  name: string
  matches: boolean
  detail: string
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function withStop(tokens: readonly number[], stopId: number | null): number[] {
  return stopId === null ? [...tokens] : [...tokens, stopId]
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index])
}

function agreeing(expected: readonly number[], actual: readonly number[]): number {
  let count = 0
  while (count < expected.length && count < actual.length && expected[count] === actual[count]) count++
  return count
}

/** Compares llama.cpp's runs of the reference prompts with the trained model's answers. */
export function compareWithReference(
  references: readonly ReferencePrompt[],
  runs: readonly GreedyRun[],
  quant: GgufQuant,
  tool: string,
  templates: TemplateCheck[]
): ExportVerification {
  const gap = nearTieLogitGap[quant]
  let answerTokens = 0
  let agreeingTokens = 0
  let worst: 'same' | 'close' | 'different' | 'failed' = 'same'
  const rank = { same: 0, close: 1, different: 2, failed: 3 } as const
  const raise = (status: keyof typeof rank) => {
    if (rank[status] > rank[worst]) worst = status
  }
  const prompts = references.map((reference, index) => {
    const run = runs[index]
    const expected = withStop(reference.tokens, reference.stop === 'end' ? reference.stop_id : null)
    const actual = run ? withStop(run.tokens, run.stopId) : []
    const tokensMatch = run ? sameIds(run.promptIds, reference.prompt_ids) : false
    const count = agreeing(expected, actual)
    // A reference that ran out of tokens agrees with any answer that matches it that far.
    const complete = reference.stop === 'length' ? count >= expected.length : count === expected.length && expected.length === actual.length
    const firstDifference = complete ? null : count
    const margin = firstDifference === null ? null : (reference.margins[firstDifference] ?? null)
    answerTokens += expected.length
    agreeingTokens += Math.min(count, expected.length)
    if (!tokensMatch) raise('failed')
    else if (firstDifference !== null) raise(margin !== null && margin < gap ? 'close' : 'different')
    return {
      prompt: reference.prompt,
      tokensMatch,
      promptTokens: reference.prompt_ids.length,
      expectedText: reference.text,
      actualText: run?.text ?? '',
      answerTokens: expected.length,
      agreeingTokens: Math.min(count, expected.length),
      firstDifference,
      marginAtDifference: margin
    }
  })
  if (templates.some((template) => !template.matches)) raise('failed')
  const agreement = answerTokens === 0 ? 1 : agreeingTokens / answerTokens
  const percent = `${(agreement * 100).toFixed(agreement === 1 ? 0 : 1)} %`
  let summary: string
  if (worst === 'same') summary = `verified in ${tool}: same answer as the trained model (${agreeingTokens} of ${answerTokens} tokens over ${plural(references.length, 'prompt')})`
  else if (worst === 'close') summary = `verified in ${tool}: ${percent} of answer tokens agree; the answers part only where the trained model itself was undecided (its two best tokens within ${gap} logits), which ${quant} rounding decides either way`
  else if (prompts.some((prompt) => !prompt.tokensMatch)) summary = `not verified: ${tool} splits the training prompt into other tokens than training did, so the file's tokenizer does not match the model`
  else if (worst === 'failed') summary = `not verified: ${templates.filter((t) => !t.matches).map((t) => t.name).join(' and ')} does not write the training prompt`
  else summary = `not verified: ${tool} answers differently where the trained model was sure (${percent} of answer tokens agree)`
  return { tool, status: worst, summary, tokenAgreement: agreement, prompts, templates }
}

/** The runtime's own reload check of an adapter or merged export, in the same shape. */
export function folderVerification(result: RuntimeExportResult): ExportVerification {
  const verification = result.verification
  const references = result.reference.prompts
  if (!verification) throw new Error('The runtime returned no verification for a folder export.')
  const runs: GreedyRun[] = verification.answers.map((answer, index) => ({
    promptIds: references[index]?.prompt_ids ?? [],
    tokens: answer.tokens,
    stopId: answer.stop_id,
    text: ''
  }))
  const compared = compareWithReference(references, runs, 'f32', verification.tool, [])
  const prompts = compared.prompts.map((prompt) => ({ ...prompt, actualText: prompt.firstDifference === null ? prompt.expectedText : '' }))
  const summary =
    compared.status === 'same'
      ? `verified in ${verification.tool}: loaded from the export folder, same answer as the trained model (${prompts.reduce((sum, prompt) => sum + prompt.agreeingTokens, 0)} tokens over ${plural(prompts.length, 'prompt')})`
      : compared.summary
  return { ...compared, prompts, summary }
}

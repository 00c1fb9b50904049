import type { PlaygroundInput, RunResults } from '../../../shared/contract'
import { useExportAnswer, useGgufExport } from '../../stores/export-store'
import { usePlaygroundAskMode, usePlaygroundContext, usePlaygroundInstruction, usePlaygroundMaxTokens, usePlaygroundRawPrompt, usePlaygroundText } from '../../stores/playground-store'
import { answerWithExport } from './export-service'
import { parseMaxNewTokens } from './playground-service'

/**
 * The playground's third answer: the run's GGUF export in llama.cpp (node-llama-cpp, on the CPU,
 * no Python), for the same question, formatted the same way. Greedy, as the export check is, so
 * the answer is the one the check compared. Shown when the run has a GGUF export.
 */
export function ExportAnswer({ results }: { results: RunResults }) {
  const gguf = useGgufExport()
  const answer = useExportAnswer()
  const askMode = usePlaygroundAskMode()
  const instruction = usePlaygroundInstruction()
  const context = usePlaygroundContext()
  const text = usePlaygroundText()
  const rawPrompt = usePlaygroundRawPrompt()
  const maxTokens = parseMaxNewTokens(usePlaygroundMaxTokens())
  if (!gguf || gguf.runId !== results.runId) return null
  const input: PlaygroundInput | null =
    askMode === 'fields' ? (instruction.trim() ? { kind: 'fields', instruction, context } : null) : askMode === 'text' ? (text ? { kind: 'text', text } : null) : rawPrompt ? { kind: 'raw', prompt: rawPrompt } : null
  const generating = answer.state === 'generating'
  return (
    <section className="playground-answer" aria-labelledby="answer-gguf" data-testid="answer-gguf" data-state={answer.state}>
      <h4 id="answer-gguf">
        Exported GGUF {gguf.quant} (llama.cpp, greedy){' '}
        <button type="button" className="secondary small-button" disabled={generating || !input || maxTokens === null} onClick={() => input && maxTokens !== null && void answerWithExport(results.runId, gguf.id, input, maxTokens)}>
          {generating ? 'Answering…' : 'Ask the export'}
        </button>
      </h4>
      <pre className="playground-text" aria-live="polite" aria-busy={generating}>
        {answer.text || (generating ? 'Loading the GGUF file…' : answer.state === 'done' ? '(no text: the model ended its answer at once)' : 'Press "Ask the export" to answer with the GGUF file.')}
      </pre>
      {answer.state === 'done' && answer.tokens !== null && answer.seconds !== null && (
        <p className="muted small">
          {answer.tokens} tokens in {answer.seconds.toFixed(1)} s{answer.stop === 'length' ? ' · stopped at the max new tokens' : ''}
        </p>
      )}
      {answer.error && (
        <p role="alert" className="error-text preline small">
          {answer.error}
        </p>
      )}
    </section>
  )
}

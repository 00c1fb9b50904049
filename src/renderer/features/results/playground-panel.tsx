import { useId } from 'react'
import type { RunResults } from '../../../shared/contract'
import {
  useMaxNewTokensEdited,
  usePlaygroundAnswer,
  usePlaygroundMaxTokens,
  usePlaygroundPrompt,
  usePromptEdited,
  type PlaygroundSide
} from '../../stores/playground-store'
import { ExportAnswer } from './export-answer'
import { generateSideBySide, parseMaxNewTokens } from './playground-service'

function Answer({ side, title }: { side: PlaygroundSide; title: string }) {
  const answer = usePlaygroundAnswer(side)
  return (
    <section className="playground-answer" aria-labelledby={`answer-${side}`} data-testid={`answer-${side}`} data-state={answer.state}>
      <h4 id={`answer-${side}`}>{title}</h4>
      <pre className="playground-text" aria-live="polite" aria-busy={answer.state === 'generating'}>
        {answer.text || (answer.state === 'generating' ? 'Loading the model…' : answer.state === 'idle' ? 'Press Generate.' : '')}
      </pre>
      {answer.error && (
        <p role="alert" className="error-text preline small">
          {answer.error}
        </p>
      )}
    </section>
  )
}

/**
 * Try the result: a prompt written the way the training examples were (pre-filled with the
 * first one's prompt), answered by the finetuned model and, next to it, by the base model.
 */
export function PlaygroundPanel({ results }: { results: RunResults }) {
  const prompt = usePlaygroundPrompt()
  const promptEdited = usePromptEdited()
  const maxTokens = usePlaygroundMaxTokens()
  const maxTokensEdited = useMaxNewTokensEdited()
  const tuned = usePlaygroundAnswer('tuned')
  const base = usePlaygroundAnswer('base')
  const promptId = useId()
  const tokensId = useId()
  const generating = tuned.state === 'generating' || base.state === 'generating'
  const tokensValid = parseMaxNewTokens(maxTokens) !== null

  if (!results.outputDir) {
    return (
      <section className="panel" aria-labelledby="playground-title">
        <h3 id="playground-title" className="panel-heading">
          Playground
        </h3>
        <p className="muted">The playground opens when the run has saved its model (when it completes, or when it is stopped).</p>
      </section>
    )
  }
  return (
    <section className="panel" aria-labelledby="playground-title">
      <header className="panel-header">
        <h3 id="playground-title">Playground</h3>
        {results.demo && <span className="muted small">demo model: expect the format of the answers, not correct facts</span>}
      </header>
      <form
        className="playground-form"
        onSubmit={(event) => {
          event.preventDefault()
          if (!generating && tokensValid) void generateSideBySide(results.runId)
        }}
      >
        <label htmlFor={promptId}>Prompt (in the format the model was trained on)</label>
        <textarea id={promptId} rows={6} value={prompt} onChange={(event) => promptEdited(event.target.value)} spellCheck={false} />
        <div className="button-row">
          <label htmlFor={tokensId} className="small">
            Max new tokens
          </label>
          <input id={tokensId} className="tokens-input" inputMode="numeric" value={maxTokens} aria-invalid={tokensValid ? undefined : true} onChange={(event) => maxTokensEdited(event.target.value)} />
          <button type="submit" disabled={generating || !prompt.trim() || !tokensValid}>
            {generating ? 'Generating…' : 'Generate'}
          </button>
          {!tokensValid && <span className="error-text small">1 to 4096</span>}
        </div>
      </form>
      <div className="playground-answers">
        <Answer side="tuned" title="Finetuned model" />
        <Answer side="base" title={`Base model (${results.demo ? 'random weights, before training' : 'without the adapter'})`} />
        <ExportAnswer results={results} />
      </div>
    </section>
  )
}

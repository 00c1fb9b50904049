import { useId } from 'react'
import type { RunResults } from '../../../shared/contract'
import {
  playgroundActions,
  usePlaygroundAnswer,
  usePlaygroundAskMode,
  usePlaygroundContext,
  usePlaygroundInstruction,
  usePlaygroundMaxTokens,
  usePlaygroundNotice,
  usePlaygroundPromptSent,
  usePlaygroundRawPrompt,
  usePlaygroundRunInput,
  usePlaygroundText,
  type PlaygroundSide
} from '../../stores/playground-store'
import { ExportAnswer } from './export-answer'
import { generateSideBySide, parseMaxNewTokens } from './playground-service'

const emptyAnswerText = { idle: 'Press Generate.', waiting: 'Waiting for the finetuned answer…', generating: 'Loading the model…', done: '(no text: the model ended its answer at once)', failed: '' }

function Answer({ side, title }: { side: PlaygroundSide; title: string }) {
  const answer = usePlaygroundAnswer(side)
  return (
    <section className="playground-answer" aria-labelledby={`answer-${side}`} data-testid={`answer-${side}`} data-state={answer.state}>
      <h4 id={`answer-${side}`}>{title}</h4>
      <pre className="playground-text" aria-live="polite" aria-busy={answer.state === 'generating'}>
        {answer.text || emptyAnswerText[answer.state]}
      </pre>
      {answer.stop === 'length' && <p className="muted small">Stopped at the max new tokens; the model had not ended its answer.</p>}
      {answer.error && (
        <p role="alert" className="error-text preline small">
          {answer.error}
        </p>
      )}
    </section>
  )
}

function Question() {
  const askMode = usePlaygroundAskMode()
  const runInput = usePlaygroundRunInput()
  const instruction = usePlaygroundInstruction()
  const context = usePlaygroundContext()
  const text = usePlaygroundText()
  const rawPrompt = usePlaygroundRawPrompt()
  const ids = { instruction: useId(), context: useId(), text: useId(), raw: useId() }
  const edit = playgroundActions().questionEdited
  return (
    <>
      <fieldset className="button-row" aria-label="How to ask">
        <label className="small">
          <input type="radio" name="ask-mode" checked={askMode === runInput} onChange={() => playgroundActions().askModeChosen(runInput)} />{' '}
          {runInput === 'fields' ? 'Instruction and input, formatted like the training data' : 'Text to continue'}
        </label>
        <label className="small">
          <input type="radio" name="ask-mode" checked={askMode === 'raw'} onChange={() => playgroundActions().askModeChosen('raw')} /> Raw prompt (experts: used as typed)
        </label>
      </fieldset>
      {askMode === 'fields' && (
        <>
          <label htmlFor={ids.instruction}>Instruction</label>
          <textarea id={ids.instruction} rows={3} value={instruction} onChange={(event) => edit({ instruction: event.target.value })} spellCheck={false} />
          <label htmlFor={ids.context}>Input (optional context)</label>
          <textarea id={ids.context} rows={2} value={context} onChange={(event) => edit({ context: event.target.value })} spellCheck={false} />
        </>
      )}
      {askMode === 'text' && (
        <>
          <label htmlFor={ids.text}>Text</label>
          <textarea id={ids.text} rows={4} value={text} onChange={(event) => edit({ text: event.target.value })} spellCheck={false} />
        </>
      )}
      {askMode === 'raw' && (
        <>
          <label htmlFor={ids.raw}>Raw prompt</label>
          <textarea id={ids.raw} rows={6} value={rawPrompt} onChange={(event) => edit({ rawPrompt: event.target.value })} spellCheck={false} />
        </>
      )}
    </>
  )
}

function filledIn(askMode: string, instruction: string, text: string, rawPrompt: string): boolean {
  return askMode === 'fields' ? instruction.trim() !== '' : askMode === 'text' ? text !== '' : rawPrompt !== ''
}

/**
 * Try the result: a question formatted exactly like the training examples (the same shared
 * formatter, pre-filled with the first example's fields), answered by the finetuned model and
 * then, next to it, by the base model. A raw prompt is there for experts.
 */
export function PlaygroundPanel({ results }: { results: RunResults }) {
  const askMode = usePlaygroundAskMode()
  const instruction = usePlaygroundInstruction()
  const text = usePlaygroundText()
  const rawPrompt = usePlaygroundRawPrompt()
  const maxTokens = usePlaygroundMaxTokens()
  const promptSent = usePlaygroundPromptSent()
  const notice = usePlaygroundNotice()
  const tuned = usePlaygroundAnswer('tuned')
  const base = usePlaygroundAnswer('base')
  const tokensId = useId()
  const busy = (state: string) => state === 'generating' || state === 'waiting'
  const generating = busy(tuned.state) || busy(base.state)
  const tokensValid = parseMaxNewTokens(maxTokens) !== null
  const ready = filledIn(askMode, instruction, text, rawPrompt)

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
          if (!generating && tokensValid && ready) void generateSideBySide(results.runId)
        }}
      >
        <Question />
        <div className="button-row">
          <label htmlFor={tokensId} className="small">
            Max new tokens
          </label>
          <input id={tokensId} className="tokens-input" inputMode="numeric" value={maxTokens} aria-invalid={tokensValid ? undefined : true} onChange={(event) => playgroundActions().maxNewTokensEdited(event.target.value)} />
          <button type="submit" disabled={generating || !ready || !tokensValid}>
            {generating ? 'Generating…' : 'Generate'}
          </button>
          {!tokensValid && <span className="error-text small">1 to 4096</span>}
        </div>
      </form>
      {notice && <p className="muted small">{notice}</p>}
      {promptSent !== null && (
        <details className="small" data-testid="prompt-sent">
          <summary>What the model read</summary>
          <pre className="playground-text">{promptSent}</pre>
        </details>
      )}
      <div className="playground-answers">
        <Answer side="tuned" title="Finetuned model" />
        <Answer side="base" title={`Base model (${results.demo ? 'random weights, before training' : 'without the finetuned weights'})`} />
        <ExportAnswer results={results} />
      </div>
    </section>
  )
}

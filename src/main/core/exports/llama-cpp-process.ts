import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp'
import type { GreedyRun, HostReply, HostRequest, LlamaModelFacts, PromptToRun } from './llama-cpp-protocol'

/**
 * The llama.cpp child process: loads GGUF files with node-llama-cpp and answers the core's
 * requests (llama-cpp-host.ts). llama.cpp runs here, not in the app's process, so a file that
 * crashes it ends this process only, and its memory goes when it exits.
 *
 * CPU only: the verification must be reproducible on every machine, and the playground is meant
 * to show what a CPU-only user gets. `build: 'never'`: only the prebuilt binaries of the
 * @node-llama-cpp platform packages are used; nothing is downloaded or compiled here.
 */

let llama: Promise<Llama> | null = null
let loaded: { path: string; model: LlamaModel; context: LlamaContext } | null = null

function send(reply: HostReply): void {
  process.send?.(reply)
}

async function modelAt(modelPath: string): Promise<{ model: LlamaModel; context: LlamaContext }> {
  if (loaded?.path === modelPath) return loaded
  if (loaded) {
    await loaded.context.dispose()
    await loaded.model.dispose()
    loaded = null
  }
  llama ??= getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false })
  const model = await (await llama).loadModel({ modelPath })
  // The check's prompts are at most 384 tokens plus a short answer, and playground questions are
  // short: 2048 tokens of context keep the KV cache small on machines without a GPU.
  const context = await model.createContext({ contextSize: Math.min(model.trainContextSize || 2048, 2048), sequences: 1 })
  loaded = { path: modelPath, model, context }
  return loaded
}

function promptIds(model: LlamaModel, prompt: PromptToRun): Token[] {
  const ids = model.tokenize(prompt.prompt, prompt.parseSpecial)
  const bos = model.tokens.bos
  return model.tokens.shouldPrependBosToken && bos !== null && ids[0] !== bos ? [bos, ...ids] : ids
}

function facts(model: LlamaModel): LlamaModelFacts {
  const metadata = model.fileInfo.metadata as { general?: { architecture?: string }; tokenizer?: { chat_template?: string } }
  return {
    architecture: metadata.general?.architecture ?? null,
    bos: model.tokens.bos,
    eos: model.tokens.eos,
    shouldPrependBos: model.tokens.shouldPrependBosToken,
    trainContextSize: model.trainContextSize,
    chatTemplate: metadata.tokenizer?.chat_template ?? null
  }
}

async function answer(model: LlamaModel, context: LlamaContext, prompt: PromptToRun, temperature: number, onText: (text: string) => void): Promise<GreedyRun> {
  const ids = promptIds(model, prompt)
  const sequence = context.getSequence()
  const tokens: Token[] = []
  let stopId: number | null = null
  let text = ''
  try {
    for await (const token of sequence.evaluate(ids, { temperature, yieldEogToken: true })) {
      if (model.isEogToken(token)) {
        stopId = token
        break
      }
      tokens.push(token)
      // Whole-answer detokenizing: a character split over two tokens appears once complete.
      const whole = model.detokenize(tokens)
      if (whole.length > text.length && !whole.endsWith('\uFFFD')) {
        onText(whole.slice(text.length))
        text = whole
      }
      if (tokens.length >= prompt.maxNewTokens) break
    }
  } finally {
    sequence.dispose()
  }
  const whole = model.detokenize(tokens)
  if (whole.length > text.length) onText(whole.slice(text.length))
  return { promptIds: ids, tokens, stopId, text: whole }
}

async function handle(request: HostRequest): Promise<void> {
  const { model, context } = await modelAt(request.modelPath)
  if (request.type === 'check') {
    const runs: GreedyRun[] = []
    for (const prompt of request.prompts) runs.push(await answer(model, context, prompt, 0, () => undefined))
    send({ type: 'checked', id: request.id, facts: facts(model), runs })
    return
  }
  const run = await answer(model, context, request.prompt, request.temperature, (text) => send({ type: 'text', id: request.id, text }))
  send({ type: 'answer', id: request.id, text: run.text, tokens: run.tokens.length, stop: run.stopId === null ? 'length' : 'end' })
}

// One request at a time: the context has one sequence.
let queue: Promise<void> = Promise.resolve()
process.on('message', (request: HostRequest) => {
  queue = queue.then(() =>
    handle(request).catch((error: unknown) => {
      send({ type: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) })
    })
  )
})
process.on('disconnect', () => process.exit(0))

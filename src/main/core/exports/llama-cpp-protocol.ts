/**
 * Messages between the core and its llama.cpp child process (llama-cpp-process.ts), over the
 * Node IPC channel of `child_process.fork`: structured data on a pipe, never terminal output.
 */

export interface PromptToRun {
  prompt: string
  /** Read special-token text as control tokens (a chat template wrote it). */
  parseSpecial: boolean
  maxNewTokens: number
}

export interface LlamaModelFacts {
  architecture: string | null
  bos: number | null
  eos: number | null
  shouldPrependBos: boolean
  trainContextSize: number
  /** tokenizer.chat_template as stored in the file. */
  chatTemplate: string | null
}

export interface GreedyRun {
  /** The ids llama.cpp feeds the model: BOS (when the file says so) plus the prompt's tokens. */
  promptIds: number[]
  /** The answer's ids, the end-of-generation id not included. */
  tokens: number[]
  /** The end-of-generation id that ended the answer; null when max tokens ran out. */
  stopId: number | null
  text: string
}

export type HostRequest =
  | { type: 'check'; id: number; modelPath: string; prompts: PromptToRun[] }
  | { type: 'generate'; id: number; modelPath: string; prompt: PromptToRun; temperature: number }

export type HostReply =
  | { type: 'checked'; id: number; facts: LlamaModelFacts; runs: GreedyRun[] }
  | { type: 'text'; id: number; text: string }
  | { type: 'answer'; id: number; text: string; tokens: number; stop: 'end' | 'length' }
  | { type: 'error'; id: number; message: string }

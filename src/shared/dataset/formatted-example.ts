/**
 * What one CSV row becomes for training. Chat: `prompt + response` is the exact example text;
 * with "train on response only" the runtime masks `prompt` and learns `response`. Generic: the
 * whole `text` carries loss. This is the fixed contract with the Python runtime (train.jsonl).
 */
export interface ChatExample {
  prompt: string
  response: string
  /**
   * With a model's chat template: the [start, end) ranges, in code points of prompt + response,
   * that the template wrote itself. Special tokens count only there; text from the CSV is always
   * text. Absent in the LocalTune format, which writes no special tokens.
   */
  markup?: Array<[number, number]>
}

export interface TextExample {
  text: string
}

export type FormattedExample = ChatExample | TextExample

/** The cells a chat mapping picked for one row. */
export interface ChatFields {
  promptStart?: string
  prompt: string
  context?: string
  response: string
}

export function isChatExample(example: FormattedExample): example is ChatExample {
  return 'prompt' in example
}

/** The full text the model sees for this example. */
export function exampleText(example: FormattedExample): string {
  return isChatExample(example) ? example.prompt + example.response : example.text
}

/** A cell with nothing but whitespace counts as empty everywhere (validation and formatting). */
export function isBlank(value: string | undefined): boolean {
  return value === undefined || value.trim() === ''
}

import type { TrainingMethod } from './run-config-schema'

/** The training methods as the forms offer them, in one order, with one name each. */
export const trainingMethodChoices: ReadonlyArray<{ value: TrainingMethod; label: string }> = [
  { value: 'full', label: 'Full finetuning' },
  { value: 'lora', label: 'LoRA' },
  { value: 'qlora', label: 'QLoRA (4-bit base)' }
]

/** The method's name inside a sentence ("… for full finetuning, micro batch 4 …"). */
export function trainingMethodName(method: TrainingMethod): string {
  return method === 'full' ? 'full finetuning' : method === 'qlora' ? 'QLoRA' : 'LoRA'
}

import { z } from 'zod'

/**
 * How rows are held out to measure the model on data it does not train on. A percentage picks
 * rows by a seeded shuffle (the same seed always picks the same rows); a file uses a second CSV
 * with the same columns as the validation set.
 */
export const validationSplitSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.literal('percent'),
    percent: z.number().gt(0, 'The validation percentage must be above 0.').max(50, 'Hold out at most 50% of the rows for validation.'),
    seed: z.number().int().optional(),
    /** Upper bound on validation rows, so big files do not spend hours evaluating. */
    maxRows: z.number().int().positive().optional()
  }),
  z.object({ kind: z.literal('file'), path: z.string().min(1) })
])
export type ValidationSplit = z.infer<typeof validationSplitSchema>

export const defaultValidationSeed = 42
export const smallDatasetRowLimit = 200
export const defaultValidationPercent = 5
export const defaultValidationMaxRows = 1000

export const defaultValidationSplitRule =
  `Fewer than ${smallDatasetRowLimit} trainable rows: no validation split (every row is needed for training). ` +
  `Otherwise ${defaultValidationPercent}% of the trainable rows, at most ${defaultValidationMaxRows}, chosen by a shuffle with seed ${defaultValidationSeed}.`

/** The split LocalTune proposes for a dataset of this many trainable rows (see defaultValidationSplitRule). */
export function defaultValidationSplit(trainableRows: number): ValidationSplit {
  if (trainableRows < smallDatasetRowLimit) return { kind: 'none' }
  return { kind: 'percent', percent: defaultValidationPercent, maxRows: defaultValidationMaxRows, seed: defaultValidationSeed }
}

/** How many of `trainableRows` a percentage split holds out: rounded, capped, and never all of them. */
export function validationRowCount(split: Extract<ValidationSplit, { kind: 'percent' }>, trainableRows: number): number {
  if (trainableRows < 2) return 0
  let count = Math.round((trainableRows * split.percent) / 100)
  if (split.maxRows !== undefined) count = Math.min(count, split.maxRows)
  return Math.min(Math.max(count, 1), trainableRows - 1)
}

// mulberry32: a tiny, well-mixed 32-bit generator, so the same seed picks the same rows on
// every machine and every run.
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A fixed set of example positions (0-based, in file order among trainable rows). */
export interface ValidationPick {
  count: number
  has(position: number): boolean
}

/**
 * Picks `count` of `total` positions uniformly by seeded sampling (Floyd's algorithm): the
 * same as shuffling all positions and taking the first `count`, with one bit per position.
 */
export function pickValidationPositions(total: number, count: number, seed: number = defaultValidationSeed): ValidationPick {
  const bits = new Uint8Array(Math.ceil(total / 8))
  const has = (position: number): boolean => position >= 0 && position < total && ((bits[position >>> 3] as number) & (1 << (position & 7))) !== 0
  const add = (position: number): void => {
    bits[position >>> 3] = (bits[position >>> 3] as number) | (1 << (position & 7))
  }
  const wanted = Math.max(0, Math.min(count, total))
  const random = seededRandom(seed)
  for (let j = total - wanted; j < total; j++) {
    const candidate = Math.floor(random() * (j + 1))
    add(has(candidate) ? j : candidate)
  }
  return { count: wanted, has }
}

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

// A 32-bit integer mix (murmur3's finalizer): every (seed, position) gets an independent-looking key.
function mix32(value: number): number {
  let h = value >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * The seeded shuffle: position a comes before position b when its key is smaller (ties by
 * position). Holding out "the first k after shuffling" is holding out the k smallest keys, which
 * can be found in one pass without knowing how many rows there are.
 */
export function shuffleKey(position: number, seed: number): number {
  const low = position >>> 0
  const high = Math.floor(position / 4294967296) >>> 0
  return mix32(mix32(low ^ mix32(seed ^ 0x9e3779b9)) ^ high)
}

function before(keyA: number, positionA: number, keyB: number, positionB: number): boolean {
  return keyA < keyB || (keyA === keyB && positionA < positionB)
}

interface HeldEntry<T> {
  key: number
  position: number
  item: T
}

/**
 * Keeps the `capacity` positions with the smallest shuffle keys seen so far (a max-heap), so a
 * single pass can hold out up to `capacity` rows whatever the final count. `admits` says whether
 * a position would enter; `hold` puts it in (dropping the current largest when full).
 */
export class ShuffleReservoir<T> {
  private readonly heap: HeldEntry<T>[] = []

  constructor(
    readonly capacity: number,
    readonly seed: number = defaultValidationSeed
  ) {}

  admits(position: number): boolean {
    if (this.capacity <= 0) return false
    if (this.heap.length < this.capacity) return true
    const top = this.heap[0] as HeldEntry<T>
    return before(shuffleKey(position, this.seed), position, top.key, top.position)
  }

  hold(position: number, item: T): void {
    const entry = { key: shuffleKey(position, this.seed), position, item }
    const heap = this.heap
    if (heap.length < this.capacity) {
      heap.push(entry)
      let at = heap.length - 1
      while (at > 0) {
        const parent = (at - 1) >> 1
        const up = heap[parent] as HeldEntry<T>
        if (!before(up.key, up.position, entry.key, entry.position)) break
        heap[at] = up
        at = parent
      }
      heap[at] = entry
      return
    }
    let at = 0
    for (;;) {
      const left = 2 * at + 1
      if (left >= heap.length) break
      const right = left + 1
      let larger = left
      const leftEntry = heap[left] as HeldEntry<T>
      if (right < heap.length) {
        const rightEntry = heap[right] as HeldEntry<T>
        if (before(leftEntry.key, leftEntry.position, rightEntry.key, rightEntry.position)) larger = right
      }
      const child = heap[larger] as HeldEntry<T>
      if (!before(entry.key, entry.position, child.key, child.position)) break
      heap[at] = child
      at = larger
    }
    heap[at] = entry
  }

  /** The held entries that come first in the shuffle, at most `count`, in position order. */
  first(count: number): { position: number; item: T }[] {
    return [...this.heap]
      .sort((a, b) => (before(a.key, a.position, b.key, b.position) ? -1 : 1))
      .slice(0, Math.max(0, count))
      .sort((a, b) => a.position - b.position)
      .map(({ position, item }) => ({ position, item }))
  }
}

/** A fixed set of example positions (0-based, in file order among trainable rows). */
export interface ValidationPick {
  count: number
  has(position: number): boolean
}

/**
 * The `count` of `total` positions that come first in the seeded shuffle (see shuffleKey),
 * with one bit per position.
 */
export function pickValidationPositions(total: number, count: number, seed: number = defaultValidationSeed): ValidationPick {
  const bits = new Uint8Array(Math.ceil(total / 8))
  const wanted = Math.max(0, Math.min(count, total))
  const reservoir = new ShuffleReservoir<null>(wanted, seed)
  for (let position = 0; position < total; position++) {
    if (reservoir.admits(position)) reservoir.hold(position, null)
  }
  for (const { position } of reservoir.first(wanted)) bits[position >>> 3] = (bits[position >>> 3] as number) | (1 << (position & 7))
  const has = (position: number): boolean => position >= 0 && position < total && ((bits[position >>> 3] as number) & (1 << (position & 7))) !== 0
  return { count: wanted, has }
}

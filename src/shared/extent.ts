/**
 * The smallest and largest of many numbers. `Math.max(...values)` passes every value as an
 * argument and overflows the call stack past roughly 100,000 of them (a long run's steps, a
 * large dataset's token counts), so loop instead.
 */
export function extent(values: Iterable<number>): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const value of values) {
    if (value < min) min = value
    if (value > max) max = value
  }
  return { min, max }
}

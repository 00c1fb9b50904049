/**
 * What to write after `tail` (output.log read once) so that `pending` (live output pushed while
 * that read was under way) is shown exactly once: the log is appended before each push goes
 * out, so the start of `pending` may already be at the end of `tail`. Returns the part of
 * `pending` that the tail does not end with.
 */
export function outputAfterTail(tail: string, pending: string): string {
  const longest = Math.min(tail.length, pending.length)
  for (let overlap = longest; overlap > 0; overlap--) {
    if (tail.endsWith(pending.slice(0, overlap))) return pending.slice(overlap)
  }
  return pending
}

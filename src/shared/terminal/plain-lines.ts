// CSI (colours, cursor moves, erase), OSC (titles, ended by BEL or ST), and two-character escapes.
const escapeSequences = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g
const otherControls = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g

/**
 * What a person would read in a terminal, as plain lines: escape sequences removed and a
 * carriage return treated as "the rest overwrites this line", so a progress bar redrawn a
 * hundred times becomes its last state. Used for error tails and CLI summaries.
 */
export function terminalToPlainLines(text: string): string[] {
  const lines: string[] = []
  for (const raw of text.replace(escapeSequences, '').split('\n')) {
    const segments = raw.split('\r').filter((segment) => segment.length > 0)
    lines.push((segments.at(-1) ?? '').replace(otherControls, ''))
  }
  return lines
}

/** The last `count` non-blank lines of terminal output, as plain text. */
export function lastPlainLines(text: string, count: number): string[] {
  return terminalToPlainLines(text)
    .filter((line) => line.trim().length > 0)
    .slice(-count)
}

import { describe, expect, it } from 'vitest'
import { lastPlainLines, terminalToPlainLines } from '../../../src/shared/terminal/plain-lines'

describe('terminalToPlainLines', () => {
  it('removes colours and keeps the last state of a line redrawn with carriage returns', () => {
    const text = '\x1b[32mok\x1b[0m\r\ntrain 10%\rtrain 50%\r\x1b[2Ktrain 100%\r\n\x1b]0;title\x07done\n'
    expect(terminalToPlainLines(text)).toEqual(['ok', 'train 100%', 'done', ''])
  })

  it('gives the last non-blank lines', () => {
    expect(lastPlainLines('a\r\n\r\nb\r\nc\r\n', 2)).toEqual(['b', 'c'])
  })
})

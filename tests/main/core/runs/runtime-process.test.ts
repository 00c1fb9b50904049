import { describe, expect, it } from 'vitest'
import { RuntimeProcess, type RuntimeExit } from '../../../../src/main/core/runs/runtime-process'
import { testPython } from '../../../helpers/training-home'

// Prints the terminal size at start and again on each resize (SIGWINCH), then waits for a line.
const script = [
  'import os, signal, sys',
  'show = lambda *_: print("size", *os.get_terminal_size(), flush=True)',
  'signal.signal(signal.SIGWINCH, show)',
  'show()',
  'print("got", sys.stdin.readline().strip(), flush=True)'
].join('\n')

describe('RuntimeProcess', () => {
  it('runs in a terminal of the given size, resizes it, and reads typed lines', async () => {
    let output = ''
    let resolveExit: (exit: RuntimeExit) => void = () => {}
    const exited = new Promise<RuntimeExit>((resolve) => (resolveExit = resolve))
    const child = new RuntimeProcess({ python: testPython, args: ['-c', script], cwd: process.cwd(), env: process.env, size: { cols: 91, rows: 17 }, onData: (data) => (output += data), onExit: resolveExit })
    const until = async (text: string) => {
      for (let i = 0; i < 600 && !output.includes(text); i += 1) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(output).toContain(text)
    }
    await until('size 91 17')
    child.resize({ cols: 133, rows: 41 })
    await until('size 133 41')
    child.writeLine('stop')
    await until('got stop')
    expect(await exited).toEqual({ exitCode: 0, signal: null })
    expect(child.hasExited).toBe(true)
  })

  it('reports the signal that ended it', async () => {
    let resolveExit: (exit: RuntimeExit) => void = () => {}
    const exited = new Promise<RuntimeExit>((resolve) => (resolveExit = resolve))
    const child = new RuntimeProcess({ python: testPython, args: ['-c', 'import time; time.sleep(60)'], cwd: process.cwd(), env: process.env, size: { cols: 80, rows: 24 }, onData: () => {}, onExit: resolveExit })
    child.signal('SIGKILL')
    expect(await exited).toEqual({ exitCode: null, signal: 9 })
  })
})

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * A fake `nvidia-smi` in a temp folder, first on PATH, that replays a recorded output from
 * tests/fixtures/nvidia-smi and exits with the recorded code. Every call's arguments are
 * appended to calls.log so tests can check what was asked.
 */
export const nvidiaSmiFixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures/nvidia-smi')

export interface FakeNvidiaSmiBehaviour {
  /** File in tests/fixtures/nvidia-smi to print. */
  fixture?: string
  exitCode?: number
  /** Never answer (sleep), to test the timeout. */
  hang?: boolean
  /** A different answer when the arguments contain `text`. */
  whenArgsContain?: { text: string; fixture: string; exitCode: number }
  /** Raw shell lines instead of the above (e.g. a counter for the memory watcher). */
  script?: string
}

export interface FakeNvidiaSmi {
  dir: string
  env: NodeJS.ProcessEnv
  calls(): string[]
  cleanup(): void
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

export function fakeNvidiaSmi(behaviour: FakeNvidiaSmiBehaviour): FakeNvidiaSmi {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-nvsmi-'))
  const callsFile = path.join(dir, 'calls.log')
  const lines = ['#!/bin/sh', `printf '%s\\n' "$*" >> ${quote(callsFile)}`]
  if (behaviour.script) lines.push(behaviour.script)
  else {
    if (behaviour.whenArgsContain) {
      const other = behaviour.whenArgsContain
      lines.push(`case "$*" in *${other.text}*) cat ${quote(path.join(nvidiaSmiFixtures, other.fixture))}; exit ${other.exitCode};; esac`)
    }
    if (behaviour.hang) lines.push('sleep 60')
    if (behaviour.fixture) lines.push(`cat ${quote(path.join(nvidiaSmiFixtures, behaviour.fixture))}`)
    lines.push(`exit ${behaviour.exitCode ?? 0}`)
  }
  const script = path.join(dir, 'nvidia-smi')
  fs.writeFileSync(script, `${lines.join('\n')}\n`, { mode: 0o755 })
  return {
    dir,
    env: { ...process.env, PATH: [dir, '/usr/bin', '/bin'].join(path.delimiter) },
    calls: () => (fs.existsSync(callsFile) ? fs.readFileSync(callsFile, 'utf8').split('\n').filter((line) => line !== '') : []),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** A PATH with no nvidia-smi on it at all. */
export function pathWithoutNvidiaSmi(): { env: NodeJS.ProcessEnv; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-nopath-'))
  return { env: { ...process.env, PATH: dir }, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

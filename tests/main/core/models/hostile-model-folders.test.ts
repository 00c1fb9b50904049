import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ModelFileError, openRegularFile, readRegularFile, readRegularTextFile } from '../../../../src/main/core/models/bounded-file-read'
import { readSafetensorsHeader, SafetensorsError } from '../../../../src/main/core/models/safetensors'
import { makeTempHome } from '../../../helpers/temp-home'

const root = path.resolve(import.meta.dirname, '..', '..', '..', '..')

function mkfifo(file: string): void {
  const made = spawnSync('mkfifo', [file])
  if (made.status !== 0) throw new Error(`mkfifo ${file} failed: ${made.stderr.toString()}`)
}

/** Resident memory of a process in bytes (Linux). */
function residentBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
}

interface HostProcess {
  child: ChildProcess
  origin: string
  token: string
  call(channel: string, body?: unknown, timeoutMs?: number): Promise<{ ok: boolean; value?: unknown; error?: { message: string } }>
}

async function startHostProcess(home: string, modelFolders: string[]): Promise<HostProcess> {
  const hfCache = path.join(home, 'hf-cache')
  fs.mkdirSync(hfCache, { recursive: true })
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'tests', 'helpers', 'browser-host-process.ts')], {
    cwd: root,
    env: { ...process.env, LOCALTUNE_HOME: home, HF_HUB_CACHE: hfCache, PATH: process.env.PATH, LOCALTUNE_MODEL_FOLDERS: modelFolders.join(path.delimiter) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let stdout = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  const deadline = Date.now() + 60_000
  while (!stdout.includes('\n')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the host process did not start: ${stdout}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const { origin, token } = JSON.parse(stdout.split('\n')[0]!) as { origin: string; token: string }
  const call: HostProcess['call'] = async (channel, body = {}, timeoutMs = 10_000) => {
    const response = await fetch(`${origin}/api/${channel}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs)
    })
    return (await response.json()) as { ok: boolean; value?: unknown; error?: { message: string } }
  }
  return { child, origin, token, call }
}

describe.runIf(process.platform === 'linux')('model folders that hold a FIFO or a device', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup()
  })

  function modelFolder(home: string, name: string): string {
    const folder = path.join(home, 'models', name)
    fs.mkdirSync(folder, { recursive: true })
    return folder
  }

  it('keeps the host answering when a remembered model folder has a FIFO for config.json, list after list', async () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    const folder = modelFolder(temp.home, 'fifo-model')
    mkfifo(path.join(folder, 'config.json'))
    const weights = modelFolder(temp.home, 'fifo-weights')
    fs.writeFileSync(path.join(weights, 'config.json'), '{"model_type":"gpt2"}')
    mkfifo(path.join(weights, 'model.safetensors'))
    const host = await startHostProcess(temp.home, [folder, weights])
    cleanups.push(() => host.child.kill('SIGKILL'))

    for (let attempt = 0; attempt < 2; attempt++) {
      const list = await host.call('models.list')
      expect(list.ok).toBe(true)
      const problems = (list.value as { problems: string[] }).problems.join('\n')
      expect(problems).toContain('named pipe (FIFO)')
      expect(problems).toContain(path.join(folder, 'config.json'))
      // The rest of the host is not stuck behind the folder either.
      expect((await host.call('runs.list')).ok).toBe(true)
    }
  }, 120_000)

  it('reads no more than a file can plausibly be when config.json or the index is a link to /dev/zero', async () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    const folder = modelFolder(temp.home, 'zero-model')
    fs.symlinkSync('/dev/zero', path.join(folder, 'config.json'))
    const indexed = modelFolder(temp.home, 'zero-index')
    fs.writeFileSync(path.join(indexed, 'config.json'), '{"model_type":"gpt2"}')
    fs.symlinkSync('/dev/zero', path.join(indexed, 'model.safetensors.index.json'))
    const host = await startHostProcess(temp.home, [folder, indexed])
    cleanups.push(() => host.child.kill('SIGKILL'))
    let peak = 0
    const watch = setInterval(() => {
      try {
        peak = Math.max(peak, residentBytes(host.child.pid!))
        // Stop a host that is eating the machine (what happened before): the test has failed anyway.
        if (peak > 1024 ** 3) host.child.kill('SIGKILL')
      } catch {
        // exited
      }
    }, 50)
    cleanups.push(() => clearInterval(watch))
    const list = await host.call('models.list', {}, 30_000)
    expect(list.ok).toBe(true)
    expect((list.value as { problems: string[] }).problems.join('\n')).toContain('character device')
    expect(peak).toBeLessThan(512 * 1024 ** 2)
  }, 120_000)
})

describe.runIf(process.platform === 'linux')('bounded reads of model files', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup()
  })

  it('refuses a FIFO at once instead of waiting for a writer, naming the file and what it is', () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    const fifo = path.join(temp.home, 'config.json')
    mkfifo(fifo)
    expect(() => readRegularTextFile(fifo)).toThrow(ModelFileError)
    expect(() => readRegularTextFile(fifo)).toThrow(`${fifo} is a named pipe (FIFO), not a regular file`)
    mkfifo(path.join(temp.home, 'model.safetensors'))
    expect(() => readSafetensorsHeader(path.join(temp.home, 'model.safetensors'))).toThrow(SafetensorsError)
  })

  it('refuses devices, folders and files over the limit; reads regular files through links', () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    expect(() => openRegularFile('/dev/zero')).toThrow('character device')
    expect(() => openRegularFile(temp.home)).toThrow('folder')
    const file = path.join(temp.home, 'big.json')
    fs.writeFileSync(file, 'x'.repeat(100))
    expect(() => readRegularFile(file, 99)).toThrow('100 bytes, more than the 99 bytes')
    fs.symlinkSync(file, path.join(temp.home, 'link.json'))
    expect(readRegularFile(path.join(temp.home, 'link.json'), 100).length).toBe(100)
  })
})

describe('the catalog off the request path', () => {
  it('turns a folder that does not finish in time into a problem line, and keeps the rest', async () => {
    const temp = makeTempHome()
    try {
      const hfCache = path.join(temp.home, 'hf-cache')
      fs.mkdirSync(hfCache)
      const { listModelsOffThread } = await import('../../../../src/main/core/models/model-catalog-off-thread')
      // No worker starts within 1 ms: every part times out, as a stuck network drive would.
      const catalog = await listModelsOffThread({ env: { HF_HUB_CACHE: hfCache }, folders: [path.join(temp.home, 'slow')] }, { timeoutMs: 1 })
      expect(catalog.models[0]?.isDemo).toBe(true)
      const slow = catalog.models.find((model) => model.path === path.join(temp.home, 'slow'))
      expect(slow?.problems.join(' ')).toMatch(/did not finish in 0 s: a file in it blocks reads .* remove the folder from your model folders/)
      expect(catalog.cacheDir).toBe(hfCache)
    } finally {
      temp.cleanup()
    }
  })
})

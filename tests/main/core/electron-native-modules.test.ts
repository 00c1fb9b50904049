import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { findAppRoot } from '../../../src/main/core/app-root'
import { electronSqliteBindingPath, findElectronSqliteBinding, prepareElectronSqliteBinding } from '../../../src/main/core/electron-native-modules'
import { openDatabase } from '../../../src/main/core/store/database'

const appRoot = findAppRoot()
// The CLI's builds: what `localtune start` must never write to.
const cliBinaries = [
  path.join(appRoot, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
  path.join(appRoot, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node')
]
// No Electron binary can be downloaded here; the tests stand in Node's own build for "the other
// binary" and Node itself for the Electron executable (it runs `-e` the same way).
const nodeAbiBinding = cliBinaries[0]!
const electronVersion = '45.6.0'

function fingerprint(file: string): string {
  const stat = fs.statSync(file)
  return `${crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')}:${stat.mtimeMs}`
}

describe('Electron native modules', () => {
  const temp: string[] = []
  afterEach(() => {
    for (const dir of temp.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  })
  function tempDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-native-'))
    temp.push(dir)
    return dir
  }

  it('looks the Electron build of better-sqlite3 up in its own folder, per Electron version', () => {
    const cacheDir = tempDir()
    expect(findElectronSqliteBinding(appRoot, electronVersion, cacheDir)).toBeNull()
    const target = electronSqliteBindingPath(appRoot, electronVersion, cacheDir)
    expect(path.dirname(path.dirname(target))).toBe(cacheDir)
    expect(path.basename(path.dirname(target))).toMatch(new RegExp(`^electron-${electronVersion}-${process.platform}-${process.arch}-better-sqlite3-\\d+\\.\\d+\\.\\d+$`))
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.copyFileSync(nodeAbiBinding, target)
    expect(findElectronSqliteBinding(appRoot, electronVersion, cacheDir)).toBe(target)
    expect(findElectronSqliteBinding(appRoot, '44.0.0', cacheDir)).toBeNull()
  })

  it('opens the database with an explicit binary, and names a missing one', () => {
    const home = tempDir()
    const other = path.join(tempDir(), 'better_sqlite3.node')
    fs.copyFileSync(nodeAbiBinding, other)
    const db = openDatabase(home, undefined, { nativeBinding: other })
    db.prepare('INSERT INTO model_folders (path, added_at) VALUES (?, ?)').run('/models', new Date().toISOString())
    expect(db.prepare('SELECT path FROM model_folders').pluck().all()).toEqual(['/models'])
    db.close()
    const missing = path.join(home, 'nowhere', 'better_sqlite3.node')
    expect(() => openDatabase(home, undefined, { nativeBinding: missing })).toThrow(`The SQLite module for this app (${missing}) is missing. Start LocalTune with \`localtune start\``)
  })

  it('keeps a build that loads, and never touches the CLI builds', () => {
    const before = cliBinaries.map(fingerprint)
    const cacheDir = tempDir()
    const target = electronSqliteBindingPath(appRoot, electronVersion, cacheDir)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.copyFileSync(nodeAbiBinding, target)
    const result = prepareElectronSqliteBinding({ appRoot, electronVersion, electronExecutable: process.execPath, cacheDir })
    expect(result).toEqual({ ok: true, binding: target, made: false })
    expect(cliBinaries.map(fingerprint)).toEqual(before)
  })

  it('offline, replaces a damaged build with nothing, says why, and leaves the CLI builds and no half-made folder behind', () => {
    const before = cliBinaries.map(fingerprint)
    const cacheDir = tempDir()
    const target = electronSqliteBindingPath(appRoot, electronVersion, cacheDir)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.writeFileSync(target, 'not a shared library')
    // A start killed while making a build leaves its staging folder; a dead pid's is cleared.
    fs.mkdirSync(path.join(cacheDir, 'staging-999999999', 'better-sqlite3'), { recursive: true })
    // Every download goes to a closed port, and node-gyp's header cache is empty: offline, deterministically.
    const closed = 'http://127.0.0.1:9'
    const proxies = { https_proxy: closed, HTTPS_PROXY: closed, http_proxy: closed, HTTP_PROXY: closed, npm_config_proxy: closed, npm_config_https_proxy: closed }
    const env = { ...process.env, ...proxies, npm_config_devdir: tempDir() }
    const said: string[] = []
    const result = prepareElectronSqliteBinding({ appRoot, electronVersion, electronExecutable: process.execPath, cacheDir, env, say: (line) => said.push(line) })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toMatch(new RegExp(`^better-sqlite3 could not be made for Electron ${electronVersion}: .*needs the network once`))
    expect(said[0]).toContain(`Making better-sqlite3 for Electron ${electronVersion}`)
    expect(fs.existsSync(target)).toBe(false)
    expect(fs.readdirSync(cacheDir).filter((name) => name.startsWith('staging-'))).toEqual([])
    expect(cliBinaries.map(fingerprint)).toEqual(before)
  }, 120_000)
})

import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runPiped } from './piped-command'
import { runPtyCommand } from './pty-command'
import { pipEnvironment, requirementFiles, type RuntimeFlavour } from './runtime-setup'

/**
 * A runtime pack: every wheel the runtime needs for one target (Python version, platform, CPU or
 * CUDA), made on a connected machine with `localtune runtime pack` and installed on an offline one
 * with `localtune runtime install --from DIR`. The manifest names the target and the sha256 of
 * every file, so the install refuses a folder for another machine before touching anything and
 * refuses a file that changed on the way (a truncated copy to a USB disk).
 */

export const PACK_MANIFEST = 'manifest.json'
export const PACK_FORMAT = 'localtune-runtime-pack'
export const PACK_VERSION = 1

export interface PackTarget {
  /** major.minor, e.g. "3.11": wheels with a cp311 tag only fit that Python. */
  python: string
  implementation: 'cp'
  /** The platform tag pip resolved for, e.g. manylinux_2_28_x86_64 or win_amd64. */
  platform: string
  flavour: RuntimeFlavour
  withTests: boolean
}

export interface PackedFile {
  name: string
  version: string
  file: string
  sha256: string
  bytes: number
}

export interface PackManifest {
  format: typeof PACK_FORMAT
  version: typeof PACK_VERSION
  created_at: string
  target: PackTarget
  /** The requirement lines packed, per file (comments dropped), as runtime_lock.py records them. */
  requirements: Array<{ file: string; lines: string[] }>
  packages: PackedFile[]
  total_bytes: number
}

/** What a Python says about the machine it runs on; printed by `machineScript`. */
export interface MachineFacts {
  python: string
  implementation: string
  /** The most specific platform tag of this machine (the default pack target). */
  platform: string
  /** Every wheel tag this Python accepts ("cp311-cp311-manylinux_2_28_x86_64"), most specific first; null without `packaging`. */
  tags: string[] | null
}

// Standard library, plus `packaging` (pip vendors it) for the exact tags pip would accept. The
// default platform for Linux is manylinux_<glibc>_<arch>: pip expands a manylinux tag to all the
// older ones, so that one tag covers every wheel this machine can use.
const machineScript = `
import json, platform, sys, sysconfig
tags = None
try:
    from pip._vendor.packaging import tags as _tags
except Exception:
    try:
        from packaging import tags as _tags
    except Exception:
        _tags = None
if _tags is not None:
    tags = [str(t) for t in _tags.sys_tags()]
plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
if sys.platform.startswith("linux"):
    libc, version = platform.libc_ver()
    if libc == "glibc" and version:
        major, minor = version.split(".")[:2]
        plat = f"manylinux_{major}_{minor}_{platform.machine()}"
print(json.dumps({"python": "%d.%d" % sys.version_info[:2], "implementation": sys.implementation.name,
                  "platform": plat, "tags": tags}))
`

export async function machineFacts(python: string, env: NodeJS.ProcessEnv): Promise<MachineFacts> {
  const result = await runPiped([python, '-c', machineScript], { env })
  try {
    return JSON.parse(result.stdout.trim().split(/\r?\n/).pop() ?? '') as MachineFacts
  } catch {
    throw new Error(`Could not ask ${python} about this machine: ${(result.stderr || result.stdout).trim().slice(-300) || `exit code ${result.code}`}. Choose a Python 3.10+ with --python.`)
  }
}

/** The requirement lines of a file the way runtime_lock.py reads them: no comments, no blank lines. */
export function requirementLines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((raw) => raw.replace(/(^|\s)#.*$/, '').trim().replace(/\s+/g, ' '))
    .filter(Boolean)
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')))
  })
}

/** name, version and tags from a wheel's file name (PEP 427); null for anything else. */
export function parseWheelName(file: string): { name: string; version: string; tags: string[] } | null {
  const match = /^([^-]+)-([^-]+)(?:-\d[^-]*)?-([^-]+)-([^-]+)-([^-]+)\.whl$/.exec(path.basename(file))
  if (!match) return null
  const [, name, version, pythons, abis, platforms] = match as unknown as [string, string, string, string, string, string]
  const tags = pythons.split('.').flatMap((py) => abis.split('.').flatMap((abi) => platforms.split('.').map((plat) => `${py}-${abi}-${plat}`)))
  return { name: name.toLowerCase().replace(/[-_.]+/g, '-'), version, tags }
}

const legacyManylinux: Record<number, string> = { 17: 'manylinux2014', 12: 'manylinux2010', 5: 'manylinux1' }

/**
 * The --platform values pip needs for one target tag. pip (before 24) does not expand a
 * manylinux_2_N tag to the older glibc tags a machine with glibc 2.N also runs, so a pack for
 * manylinux_2_36 would miss torch's manylinux_2_28 wheel; every older tag is passed explicitly.
 */
export function pipPlatforms(platform: string): string[] {
  const match = /^manylinux_2_(\d+)_(.+)$/.exec(platform)
  if (!match) return [platform]
  const newest = Number(match[1])
  const arch = match[2] as string
  const tags: string[] = []
  for (let minor = newest; minor >= 5; minor--) {
    tags.push(`manylinux_2_${minor}_${arch}`)
    const legacy = legacyManylinux[minor]
    if (legacy) tags.push(`${legacy}_${arch}`)
  }
  return tags
}

export interface PackOptions {
  /** A Python with pip; pip resolves the requirements for the target, not for this Python. */
  pipPython: string
  runtimeDir: string
  outDir: string
  flavour: RuntimeFlavour
  withTests: boolean
  /** major.minor; default: pipPython's. */
  python?: string | null
  /** A platform tag; default: pipPython's machine. */
  platform?: string | null
  env: NodeJS.ProcessEnv
  onOutput(text: string): void
  /** Bytes in the folder so far against the estimate (null when the index does not say sizes). */
  onProgress?(done: number, total: number | null): void
}

export interface PackResult {
  manifest: PackManifest
  manifestPath: string
}

/** The size of one file an index offers: a local file's size, or the Content-Length a HEAD request returns. */
async function remoteSize(url: string): Promise<number | null> {
  try {
    if (url.startsWith('file:')) return fs.statSync(fileURLToPath(url)).size
    const answer = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(10_000) })
    const length = Number(answer.headers.get('content-length'))
    return answer.ok && Number.isFinite(length) && length > 0 ? length : null
  } catch {
    return null
  }
}

function folderBytes(dir: string): number {
  let total = 0
  for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
    if (entry.isFile()) total += fs.statSync(path.join(dir, entry.name)).size
  }
  return total
}

/**
 * Downloads every wheel the runtime needs for the target into `outDir` and writes the manifest.
 * pip runs as configured (its index, proxy and certificates), so a pack reaches what a set-up
 * would; `--only-binary=:all:` with --python-version/--platform makes it resolve for the target
 * machine rather than this one. First a dry run lists the files and their sizes, so the progress
 * has a total before a byte is downloaded.
 */
export async function packRuntime(options: PackOptions): Promise<PackResult> {
  const env = pipEnvironment(options.env)
  const facts = await machineFacts(options.pipPython, env)
  const target: PackTarget = {
    python: options.python ?? facts.python,
    implementation: 'cp',
    platform: options.platform ?? facts.platform,
    flavour: options.flavour,
    withTests: options.withTests
  }
  if (!/^3\.\d+$/.test(target.python)) throw new Error(`--python must be a version like 3.11, not "${target.python}".`)
  const files = requirementFiles(options.runtimeDir, options.flavour, options.withTests)
  const targetArgs = ['--only-binary=:all:', '--python-version', target.python, ...pipPlatforms(target.platform).flatMap((tag) => ['--platform', tag]), '--implementation', 'cp', ...files.flatMap((f) => ['-r', f])]
  fs.mkdirSync(options.outDir, { recursive: true })
  const stale = fs.readdirSync(options.outDir).filter((name) => name.endsWith('.whl'))
  if (stale.length) throw new Error(`${options.outDir} already holds ${stale.length} wheel(s); pack into an empty folder so the manifest describes exactly what is there.`)

  options.onOutput(`Resolving ${files.map((f) => path.basename(f)).join(' + ')} for Python ${target.python} on ${target.platform} (${target.flavour})...\n`)
  const reportDir = fs.mkdtempSync(path.join(options.outDir, '.resolve-'))
  let urls: string[] = []
  try {
    const report = path.join(reportDir, 'report.json')
    const resolved = await runPiped(
      [options.pipPython, '-m', 'pip', 'install', '--dry-run', '--ignore-installed', '--quiet', '--target', path.join(reportDir, 'target'), '--report', report, ...targetArgs],
      { cwd: options.runtimeDir, env, timeoutMs: 600_000 }
    )
    if (resolved.code !== 0 || !fs.existsSync(report)) {
      throw new Error(`pip could not resolve the runtime for Python ${target.python} on ${target.platform}:\n${resolved.stderr.trim().split('\n').slice(-8).join('\n')}\nCheck that the index pip uses has wheels for that target (a --platform tag such as manylinux_2_28_x86_64 or win_amd64, and a --python the packages support).`)
    }
    const parsed = JSON.parse(fs.readFileSync(report, 'utf8')) as { install?: Array<{ download_info?: { url?: string } }> }
    urls = (parsed.install ?? []).map((item) => item.download_info?.url).filter((url): url is string => Boolean(url))
  } finally {
    fs.rmSync(reportDir, { recursive: true, force: true })
  }
  const sizes = await Promise.all(urls.map(remoteSize))
  const total = sizes.every((size) => size !== null) ? sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0) : null
  options.onOutput(`${urls.length} wheels to download${total !== null ? `, ${formatBytes(total)} in all` : ' (the index does not say every size)'}.\n`)

  const poll = setInterval(() => options.onProgress?.(folderBytes(options.outDir), total), 500)
  let downloaded
  try {
    const argv = [options.pipPython, '-m', 'pip', 'download', '--dest', options.outDir, ...targetArgs]
    options.onOutput(`$ ${argv.join(' ')}\n`)
    downloaded = await runPtyCommand(argv, { cwd: options.runtimeDir, env, timeoutMs: 3_600_000 })
  } finally {
    clearInterval(poll)
  }
  options.onProgress?.(folderBytes(options.outDir), total)
  if (downloaded.exitCode !== 0) {
    options.onOutput(downloaded.output)
    throw new Error(`pip download failed (exit ${downloaded.exitCode}); its output above says why. ${options.outDir} keeps what was downloaded; empty it before packing again.`)
  }

  const packages: PackedFile[] = []
  for (const name of fs.readdirSync(options.outDir).filter((file) => file.endsWith('.whl')).sort()) {
    const file = path.join(options.outDir, name)
    const wheel = parseWheelName(name)
    packages.push({ name: wheel?.name ?? name, version: wheel?.version ?? '?', file: name, sha256: await sha256File(file), bytes: fs.statSync(file).size })
  }
  for (const file of files) fs.copyFileSync(file, path.join(options.outDir, path.basename(file)))
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    version: PACK_VERSION,
    created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    target,
    requirements: files.map((file) => ({ file: path.basename(file), lines: requirementLines(file) })),
    packages,
    total_bytes: packages.reduce((sum, item) => sum + item.bytes, 0)
  }
  const manifestPath = path.join(options.outDir, PACK_MANIFEST)
  fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
  fs.writeFileSync(
    path.join(options.outDir, 'README.txt'),
    `LocalTune ${target.flavour} runtime for Python ${target.python} on ${target.platform}: copy this folder to the offline machine and run \`localtune runtime install --from <this folder>\` (or, in the app, Runtime set-up > Install from a folder or USB disk).\n`
  )
  return { manifest, manifestPath }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KiB`
  return `${bytes} B`
}

import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { machineFacts, requirementLines, PACK_FORMAT, PACK_MANIFEST, PACK_VERSION, type PackManifest } from '../../src/main/core/runtime/runtime-pack'
import { requirementFiles } from '../../src/main/core/runtime/runtime-setup'

/**
 * A runtime pack folder as `localtune runtime pack` writes it, with tiny stand-in wheels instead
 * of 1.5 GB of real ones: enough for everything the install checks before pip runs (the manifest,
 * the target against this machine, every file's size and sha256). The real install is proven once,
 * by tests/main/core/runtime/runtime-offline.test.ts.
 */
export interface FakePackOptions {
  runtimeDir: string
  /** The Python that reports this machine (version, platform tags). */
  python: string
  /** The target platform; null: this machine's. */
  platform?: string | null
  /** Wheel file names; {py} is replaced by the target's cpXY tag. */
  wheels?: string[]
  /** Files whose bytes change after the manifest was written (a damaged copy). */
  damage?: string[]
}

export async function writeFakeRuntimePack(dir: string, options: FakePackOptions): Promise<PackManifest> {
  const facts = await machineFacts(options.python, process.env)
  const platform = options.platform ?? facts.platform
  const py = `cp${facts.python.replace('.', '')}`
  const wheels = (options.wheels ?? [`torch-2.13.0-${py}-${py}-${platform}.whl`]).map((name) => name.replaceAll('{py}', py))
  fs.mkdirSync(dir, { recursive: true })
  const packages = wheels.map((file) => {
    const bytes = Buffer.from(`stand-in for ${file}\n`)
    fs.writeFileSync(path.join(dir, file), bytes)
    return { name: file.split('-')[0] as string, version: file.split('-')[1] as string, file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }
  })
  for (const file of options.damage ?? []) fs.writeFileSync(path.join(dir, file.replaceAll('{py}', py)), `changed on the way to ${file}\n`)
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    version: PACK_VERSION,
    created_at: new Date().toISOString(),
    target: { python: facts.python, implementation: 'cp', platform, flavour: 'cpu', withTests: false },
    requirements: requirementFiles(options.runtimeDir, 'cpu', false).map((file) => ({ file: path.basename(file), lines: requirementLines(file) })),
    packages,
    total_bytes: packages.reduce((sum, item) => sum + item.bytes, 0)
  }
  fs.writeFileSync(path.join(dir, PACK_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`)
  return manifest
}

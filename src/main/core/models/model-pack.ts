import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { findCachedRepo, repoFolderName, resolveHfHubCache } from './hf-cache'
import { resolveModel } from './model-catalog'
import { readSafetensorsHeader } from './safetensors'

/**
 * Carrying a model to an offline machine: `models pack` copies a model (from the Hugging Face
 * cache or a folder) into a plain folder with a manifest, `models add` puts such a folder into the
 * cache layout on the other machine, so every screen and `--model ID` find it as if downloaded.
 */

export const MODEL_PACK_MANIFEST = 'localtune-model.json'

export interface ModelPackManifest {
  format: 'localtune-model-pack'
  version: 1
  id: string
  /** The cache commit it came from; null for a folder. */
  revision: string | null
  files: Array<{ path: string; bytes: number; sha256: string }>
}

function sha256(file: string): string {
  // Streaming in 8 MiB pieces: weights are gigabytes, never read whole.
  const hash = createHash('sha256')
  const fd = fs.openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(8 * 1024 * 1024)
    let read: number
    while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, read))
  } finally {
    fs.closeSync(fd)
  }
  return hash.digest('hex')
}

/** The model's files relative to its folder: regular files (links followed, as the cache's are), no hidden folders. */
function modelFiles(dir: string, prefix = ''): string[] {
  const files: string[] = []
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === MODEL_PACK_MANIFEST) continue
    const relative = path.join(prefix, entry.name)
    const stat = fs.statSync(path.join(dir, relative))
    if (stat.isDirectory()) files.push(...modelFiles(dir, relative))
    else if (stat.isFile()) files.push(relative)
  }
  return files.sort()
}

/** Every safetensors header must read, so a truncated copy is caught before it is used. */
function checkWeights(dir: string, files: readonly string[]): void {
  const weights = files.filter((file) => file.endsWith('.safetensors'))
  if (!weights.length && !files.some((file) => /\.(bin|pt|gguf)$/.test(file))) throw new Error(`${dir} has no weights (no .safetensors file).`)
  for (const file of weights) readSafetensorsHeader(path.join(dir, file))
}

export interface ModelPackResult {
  dir: string
  manifest: ModelPackManifest
  bytes: number
}

/** Copies a model from the cache (by id) or a folder into `outDir` with its tokenizer, config and a manifest. */
export function packModel(model: string, outDir: string, options: { env: NodeJS.ProcessEnv; cwd: string }): ModelPackResult {
  const entry = resolveModel(model, { env: options.env, cwd: options.cwd })
  if (entry.isDemo) throw new Error('The demo model is built into LocalTune; there is nothing to pack.')
  const source = entry.path as string
  const files = modelFiles(source)
  if (!files.includes('config.json')) throw new Error(`${source} has no config.json: it is not a complete model folder.`)
  checkWeights(source, files)
  if (!files.some((file) => /^tokenizer(\.json|\.model|_config\.json)$/.test(path.basename(file)))) {
    throw new Error(`${source} has no tokenizer (tokenizer.json, tokenizer.model or tokenizer_config.json); training needs one. Download the full repository once, then pack again.`)
  }
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length) throw new Error(`${outDir} is not empty; pack into a new or empty folder.`)
  fs.mkdirSync(outDir, { recursive: true })
  const manifest: ModelPackManifest = { format: 'localtune-model-pack', version: 1, id: entry.source === 'hf-cache' ? entry.id : path.basename(source), revision: entry.revision ?? null, files: [] }
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(outDir, file)), { recursive: true })
    fs.copyFileSync(path.join(source, file), path.join(outDir, file))
    manifest.files.push({ path: file.split(path.sep).join('/'), bytes: fs.statSync(path.join(outDir, file)).size, sha256: sha256(path.join(outDir, file)) })
  }
  fs.writeFileSync(path.join(outDir, MODEL_PACK_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`)
  return { dir: outDir, manifest, bytes: manifest.files.reduce((sum, file) => sum + file.bytes, 0) }
}

export interface ModelAddResult {
  id: string
  snapshotDir: string
  revision: string
}

const hubId = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/

/**
 * Puts a packed (or plain) model folder into the Hugging Face cache layout:
 * models--org--name/snapshots/<revision>/ with refs/main naming it. Checked first: config.json,
 * every safetensors header, and (for a pack) every file's size and sha256. The snapshot is copied
 * into a hidden folder and renamed into place, and refs/main is written last, so a copy that stops
 * half-way is never what the cache points at.
 */
export function addModel(dir: string, options: { env: NodeJS.ProcessEnv; id?: string | null }): ModelAddResult {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder.`)
  const manifestFile = path.join(dir, MODEL_PACK_MANIFEST)
  const manifest = fs.existsSync(manifestFile) ? (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ModelPackManifest) : null
  const id = options.id ?? manifest?.id ?? null
  if (!id || !hubId.test(id)) {
    throw new Error(`${id ? `"${id}" is not a Hugging Face id` : `${dir} has no ${MODEL_PACK_MANIFEST} naming the model`}: give one with --id org/name (or use the folder as it is: \`localtune models --folder ${dir}\`).`)
  }
  const files = modelFiles(dir)
  if (!files.includes('config.json')) throw new Error(`${dir} has no config.json: it is not a complete model folder.`)
  if (manifest) {
    for (const file of manifest.files) {
      const full = path.join(dir, ...file.path.split('/'))
      if (!fs.existsSync(full)) throw new Error(`${file.path} is missing from ${dir}; copy the folder again.`)
      if (fs.statSync(full).size !== file.bytes || sha256(full) !== file.sha256) throw new Error(`${file.path} in ${dir} does not match its manifest (a partial or damaged copy); copy the folder again.`)
    }
  }
  checkWeights(dir, files)
  const listing = files.map((file) => `${file.split(path.sep).join('/')}:${fs.statSync(path.join(dir, file)).size}`).join('\n')
  const revision = manifest?.revision && /^[0-9a-f]{40}$/.test(manifest.revision) ? manifest.revision : createHash('sha1').update(listing).digest('hex')
  const cacheDir = resolveHfHubCache(options.env)
  const repoDir = path.join(cacheDir, repoFolderName(id))
  const snapshotDir = path.join(repoDir, 'snapshots', revision)
  if (!fs.existsSync(snapshotDir)) {
    const partial = path.join(repoDir, 'snapshots', `.${revision}.partial`)
    fs.rmSync(partial, { recursive: true, force: true })
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(partial, file)), { recursive: true })
      fs.copyFileSync(path.join(dir, file), path.join(partial, file))
    }
    fs.renameSync(partial, snapshotDir)
  }
  fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true })
  const refTemp = path.join(repoDir, 'refs', '.main.tmp')
  fs.writeFileSync(refTemp, revision)
  fs.renameSync(refTemp, path.join(repoDir, 'refs', 'main'))
  const located = findCachedRepo(cacheDir, id)
  if (located?.snapshotDir !== snapshotDir) throw new Error(`The model was copied to ${snapshotDir}, but the cache does not resolve ${id} to it.`)
  return { id, snapshotDir, revision }
}

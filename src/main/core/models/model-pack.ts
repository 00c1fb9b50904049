import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { findCachedRepo, repoFolderName, resolveHfHubCache } from './hf-cache'
import { copyModelFiles, type CopyOptions } from './model-file-copy'
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

/** What a copy needs besides its paths: where models are found, and a way to follow and stop it. */
export interface TransferOptions extends CopyOptions {
  env: NodeJS.ProcessEnv
}

/**
 * Removes what a stopped copy wrote, and only that: `firstCreated` is the outermost folder the copy
 * made (all of it is ours); without one, the entries `ours` names inside a folder that was there.
 */
async function removePartial(firstCreated: string | undefined, inside: string, ours: readonly string[]): Promise<void> {
  if (firstCreated) await fs.promises.rm(firstCreated, { recursive: true, force: true })
  else for (const entry of ours) await fs.promises.rm(path.join(inside, entry), { recursive: true, force: true })
}

/**
 * Copies a model from the cache (by id) or a folder into `outDir` with its tokenizer, config and a
 * manifest. The source is only read. A copy that fails or is cancelled leaves `outDir` as it was
 * (absent, or empty).
 */
export async function packModel(model: string, outDir: string, options: TransferOptions & { cwd: string }): Promise<ModelPackResult> {
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
  const firstCreated = await fs.promises.mkdir(outDir, { recursive: true })
  const toCopy = files.map((file) => ({ relative: file, from: path.join(source, file), to: path.join(outDir, file), bytes: fs.statSync(path.join(source, file)).size }))
  const topEntries = [...new Set([...files.map((file) => file.split(path.sep)[0] as string), MODEL_PACK_MANIFEST])]
  try {
    const hashes = await copyModelFiles(toCopy, options)
    const manifest: ModelPackManifest = {
      format: 'localtune-model-pack',
      version: 1,
      id: entry.source === 'hf-cache' ? entry.id : path.basename(source),
      revision: entry.revision ?? null,
      files: toCopy.map((file, index) => ({ path: file.relative.split(path.sep).join('/'), bytes: file.bytes, sha256: hashes[index] as string }))
    }
    await fs.promises.writeFile(path.join(outDir, MODEL_PACK_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`)
    return { dir: outDir, manifest, bytes: manifest.files.reduce((sum, file) => sum + file.bytes, 0) }
  } catch (error) {
    await removePartial(firstCreated, outDir, topEntries)
    throw error
  }
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
 * every safetensors header, and (for a pack) every file's size, then its sha256 as it is copied.
 * The snapshot is copied into a hidden folder and renamed into place, and refs/main is written
 * last, so a copy that stops half-way is never what the cache points at; a failed or cancelled
 * copy is removed with every folder it created.
 */
export async function addModel(dir: string, options: TransferOptions & { id?: string | null }): Promise<ModelAddResult> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder.`)
  const manifestFile = path.join(dir, MODEL_PACK_MANIFEST)
  const manifest = fs.existsSync(manifestFile) ? (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ModelPackManifest) : null
  const id = options.id ?? manifest?.id ?? null
  if (!id || !hubId.test(id)) {
    throw new Error(`${id ? `"${id}" is not a Hugging Face id` : `${dir} has no ${MODEL_PACK_MANIFEST} naming the model`}: give one with --id org/name (or use the folder as it is: \`localtune models --folder ${dir}\`).`)
  }
  const files = modelFiles(dir)
  if (!files.includes('config.json')) throw new Error(`${dir} has no config.json: it is not a complete model folder.`)
  const damaged = (file: string) => new Error(`${file} in ${dir} does not match its manifest (a partial or damaged copy); copy the folder again.`)
  if (manifest) {
    for (const file of manifest.files) {
      const full = path.join(dir, ...file.path.split('/'))
      if (!fs.existsSync(full)) throw new Error(`${file.path} is missing from ${dir}; copy the folder again.`)
      if (fs.statSync(full).size !== file.bytes) throw damaged(file.path)
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
    await fs.promises.rm(partial, { recursive: true, force: true })
    // The outermost folder this add creates (the cache itself, on a new machine): removed on failure.
    const firstCreated = await fs.promises.mkdir(partial, { recursive: true })
    const toCopy = files.map((file) => ({ relative: file, from: path.join(dir, file), to: path.join(partial, file), bytes: fs.statSync(path.join(dir, file)).size }))
    try {
      const hashes = await copyModelFiles(toCopy, options)
      const expected = new Map((manifest?.files ?? []).map((file) => [file.path, file.sha256]))
      toCopy.forEach((file, index) => {
        const name = file.relative.split(path.sep).join('/')
        if (expected.has(name) && expected.get(name) !== hashes[index]) throw damaged(name)
      })
      await fs.promises.rename(partial, snapshotDir)
    } catch (error) {
      await removePartial(firstCreated, path.dirname(partial), [path.basename(partial)])
      throw error
    }
  }
  fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true })
  const refTemp = path.join(repoDir, 'refs', '.main.tmp')
  fs.writeFileSync(refTemp, revision)
  fs.renameSync(refTemp, path.join(repoDir, 'refs', 'main'))
  const located = findCachedRepo(cacheDir, id)
  if (located?.snapshotDir !== snapshotDir) throw new Error(`The model was copied to ${snapshotDir}, but the cache does not resolve ${id} to it.`)
  return { id, snapshotDir, revision }
}

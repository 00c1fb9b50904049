import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { ModelCatalogEntry } from '../../../shared/estimator/model-catalog-entry'
import { tinyDemoEntry } from '../../../shared/estimator/tiny-demo'
import { resolveHfHubCache } from './hf-cache'
import { folderProblemEntry, ModelNotFoundError, userModelFolders, type CatalogOptions, type ModelCatalog } from './model-catalog'
import type { CatalogReply, CatalogTask } from './model-catalog-worker'

/**
 * The model catalog, read off the request path: every read of a model folder happens on a worker
 * thread with a time limit. The reads themselves refuse FIFOs and devices (bounded-file-read.ts),
 * but a folder can still stall a thread in ways no check sees first (a network drive that stopped
 * answering, a FUSE mount, another reader of files added later). Each user folder is its own task,
 * so one stuck folder becomes a problem line in the list instead of freezing the host; and
 * because the folder is remembered, every later list would otherwise freeze again.
 */

export const defaultCatalogTimeoutMs = 20_000

export class CatalogTimeoutError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CatalogTimeoutError'
  }
}

/** Built (.js) the worker loads directly; from source (tsx, vitest) through tsx's require hook, as the token worker does. */
function startWorker(task: CatalogTask): Worker {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return new Worker(new URL('./model-catalog-worker.js', here), { workerData: { task } })
  const require = createRequire(here)
  const bootstrap = "const { workerData } = require('node:worker_threads'); require(workerData.tsxRequireHook); require(workerData.entry);"
  return new Worker(bootstrap, { eval: true, workerData: { task, tsxRequireHook: require.resolve('tsx/cjs'), entry: fileURLToPath(new URL('./model-catalog-worker.ts', here)) } })
}

/** Runs one task on its own thread; rejects after `timeoutMs`, leaving a stuck thread behind unreferenced. */
function runTask<T>(task: CatalogTask, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(task)
    // A thread blocked in a read cannot be stopped; unref keeps it from holding the process open.
    worker.unref()
    const timer = setTimeout(() => {
      void worker.terminate()
      reject(new CatalogTimeoutError(`Reading ${what} did not finish in ${Math.round(timeoutMs / 1000)} s`))
    }, timeoutMs)
    worker.once('message', (reply: CatalogReply) => {
      clearTimeout(timer)
      void worker.terminate()
      if (reply.ok) resolve(reply.value as T)
      else reject(reply.name === 'ModelNotFoundError' ? new ModelNotFoundError(reply.message) : new Error(reply.message))
    })
    worker.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`The model catalog worker failed on ${what}: ${error.message}`))
    })
  })
}

const stuckAdvice = 'a file in it blocks reads (a named pipe, a device, or a network drive that does not answer). LocalTune skipped it: fix or remove that file, or remove the folder from your model folders'

/**
 * listModels, with each part read on a worker: the demo and the Hugging Face cache, then each
 * folder. A part that times out or fails is reported as an entry with the problem.
 */
export async function listModelsOffThread(options: CatalogOptions = {}, limits: { timeoutMs?: number } = {}): Promise<ModelCatalog> {
  const timeoutMs = limits.timeoutMs ?? defaultCatalogTimeoutMs
  const env = options.env ?? process.env
  const folders = userModelFolders(options)
  const [cache, ...perFolder] = await Promise.allSettled([
    runTask<ModelCatalog>({ kind: 'cache', env }, timeoutMs, 'the Hugging Face cache'),
    ...folders.map((folder) => runTask<ModelCatalogEntry[]>({ kind: 'folder', folder }, timeoutMs, `the model folder ${folder}`))
  ])
  const base: ModelCatalog =
    cache!.status === 'fulfilled'
      ? cache!.value
      : {
          cacheDir: resolveHfHubCache(env),
          models: [tinyDemoEntry(), { ...folderProblemEntry(resolveHfHubCache(env), `${(cache!.reason as Error).message}: ${stuckAdvice}`), source: 'hf-cache' }]
        }
  const fromFolders = perFolder.flatMap((result, index) =>
    result.status === 'fulfilled' ? result.value : [folderProblemEntry(folders[index]!, `${(result.reason as Error).message}: ${stuckAdvice}`)]
  )
  return { cacheDir: base.cacheDir, models: [...base.models, ...fromFolders] }
}

/** resolveModel on a worker, with the same time limit. */
export function resolveModelOffThread(idOrPath: string, options: CatalogOptions = {}, limits: { timeoutMs?: number } = {}): Promise<ModelCatalogEntry> {
  return runTask<ModelCatalogEntry>(
    { kind: 'resolve', idOrPath, env: options.env ?? process.env, folders: [...(options.folders ?? [])], cwd: options.cwd ?? process.cwd() },
    limits.timeoutMs ?? defaultCatalogTimeoutMs,
    `the model ${idOrPath}`
  )
}

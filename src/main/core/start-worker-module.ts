import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * Starts the worker module `name` (without extension) that sits next to the caller's module
 * `callerUrl` (its import.meta.url). Built, the caller is a chunk in out/main and the worker is
 * an entry of its own in the same folder (electron.vite.config.ts), loaded directly. From source
 * (.ts under tsx or vitest) a small CommonJS bootstrap registers tsx's require hook and then loads
 * the TypeScript worker, because ESM loader hooks do not reach worker threads on Node 20.
 */
export function startWorkerModule(name: string, callerUrl: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options)
  const require = createRequire(callerUrl)
  const bootstrap = "const { workerData } = require('node:worker_threads'); require(workerData.tsxRequireHook); require(workerData.entry);"
  const hooked = { tsxRequireHook: require.resolve('tsx/cjs'), entry: fileURLToPath(new URL(`./${name}.ts`, callerUrl)) }
  const workerData: unknown = options.workerData === undefined ? hooked : { ...(options.workerData as object), ...hooked }
  return new Worker(bootstrap, { ...options, eval: true, workerData })
}

// The model catalog read on a worker thread (see model-catalog-off-thread.ts): one task per
// worker, its answer posted back, then the thread ends.
import { parentPort, workerData } from 'node:worker_threads'
import { listModels, resolveModel, scanFolder } from './model-catalog'

export type CatalogTask =
  | { kind: 'cache'; env: NodeJS.ProcessEnv }
  | { kind: 'folder'; folder: string }
  | { kind: 'resolve'; idOrPath: string; env: NodeJS.ProcessEnv; folders: string[]; cwd: string }

export type CatalogReply = { ok: true; value: unknown } | { ok: false; name: string; message: string }

function run(task: CatalogTask): unknown {
  switch (task.kind) {
    case 'cache':
      // The built-in demo and the Hugging Face cache; the user's folders are tasks of their own.
      return listModels({ env: task.env, folders: [] })
    case 'folder':
      return scanFolder(task.folder)
    case 'resolve':
      return resolveModel(task.idOrPath, { env: task.env, folders: task.folders, cwd: task.cwd })
  }
}

const task = (workerData as { task: CatalogTask }).task
let reply: CatalogReply
try {
  reply = { ok: true, value: run(task) }
} catch (error) {
  reply = { ok: false, name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) }
}
parentPort?.postMessage(reply)

// One of many LocalTune processes starting on the same new home at the same moment: waits at a
// shared barrier, then opens the database (which migrates it) and reports how that went.
import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../../../../src/main/core/store/database'

const { home, barrier } = workerData as { home: string; barrier: SharedArrayBuffer }
const gate = new Int32Array(barrier)
Atomics.add(gate, 1, 1)
Atomics.wait(gate, 0, 0, 10_000)
try {
  const db = openDatabase(home)
  const version = db.pragma('user_version', { simple: true }) as number
  db.close()
  parentPort?.postMessage({ ok: true, version })
} catch (error) {
  parentPort?.postMessage({ ok: false, message: (error as Error).message })
}

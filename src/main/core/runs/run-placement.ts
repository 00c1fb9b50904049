import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import { runNodesSchema, type DeviceChoice, type RunNodes } from '../../../shared/contract/runs'
import { UserFacingError } from '../user-facing-error'
import type { RunRow } from './run-store'

/**
 * Where a run trains, resolved when it is created: the GPUs by nvidia-smi index (empty on the
 * CPU), how many ranks this machine starts, and the other machines, if any. Stored as the row's
 * `placement_json` (migration 7); rows from before it are read from gpu_index.
 */
export interface RunPlacement {
  gpus: number[]
  /** torchrun --nproc-per-node: one per GPU, or the CPU ranks asked for. */
  processesPerNode: number
  nodes: RunNodes | null
}

const placementSchema = z.object({
  gpus: z.array(z.number().int().min(0)),
  processesPerNode: z.number().int().min(1),
  nodes: runNodesSchema.nullable()
})

/** The row's columns that say where it trains, derived from one placement so they cannot disagree. */
export function placementColumns(placement: RunPlacement): Pick<RunRow, 'device_key' | 'gpu_index' | 'placement_json'> {
  return {
    device_key: placement.gpus.length === 0 ? 'cpu' : `cuda:${placement.gpus.join(',')}`,
    // Kept for one-GPU runs (what older LocalTune versions and the playground read); a run on
    // several GPUs has no single index.
    gpu_index: placement.gpus.length === 1 ? placement.gpus[0]! : null,
    placement_json: JSON.stringify(placement)
  }
}

/** The row's placement; rows written before migration 7 trained on gpu_index alone (or the CPU). */
export function placementOf(row: Pick<RunRow, 'gpu_index' | 'placement_json'>): RunPlacement {
  if (row.placement_json) {
    try {
      const parsed = placementSchema.safeParse(JSON.parse(row.placement_json))
      if (parsed.success) return parsed.data
    } catch {
      // unreadable: fall back to the one-device columns every version writes
    }
  }
  return { gpus: row.gpu_index === null ? [] : [row.gpu_index], processesPerNode: 1, nodes: null }
}

/**
 * The devices a run holds while it trains, as queue keys ("cpu", "cuda:N"): a run starts only
 * when none of them is held by another run.
 */
export function queueDevicesOf(row: Pick<RunRow, 'device_key'>): string[] {
  if (!row.device_key.startsWith('cuda:')) return [row.device_key]
  return row.device_key
    .slice('cuda:'.length)
    .split(',')
    .map((index) => `cuda:${index}`)
}

/** torchrun's world size: every rank on every machine. */
export function worldSizeOf(placement: RunPlacement): number {
  return placement.processesPerNode * (placement.nodes?.count ?? 1)
}

/**
 * Turns what the user chose into a placement, against the GPUs the runtime sees. Throws a
 * UserFacingError naming the choice when it cannot be met ('all' on a machine without GPUs).
 */
export function resolvePlacement(choice: DeviceChoice, python: Pick<PythonRuntimeStatus, 'gpus'>): RunPlacement {
  const nodes = choice.nodes ?? null
  if (choice.kind === 'cpu') return { gpus: [], processesPerNode: choice.processes ?? 1, nodes }
  if (choice.kind === 'gpu') return { gpus: [choice.index], processesPerNode: 1, nodes }
  const gpus = choice.indices === 'all' ? python.gpus.map((gpu) => gpu.index) : [...choice.indices]
  if (gpus.length === 0) {
    throw new UserFacingError('"All GPUs" was chosen, but the training runtime sees no GPU. Train on the CPU, or run `localtune doctor` to see why no GPU is found.', {
      code: 'invalid_request',
      details: ['device']
    })
  }
  // Ascending, so the same set is the same queue key and rank r always trains on the r-th GPU listed.
  gpus.sort((a, b) => a - b)
  return { gpus, processesPerNode: gpus.length, nodes }
}

/** What "run again" starts from: the same place, said as a choice. */
export function deviceChoiceOf(placement: RunPlacement): DeviceChoice {
  const nodes = placement.nodes ? { nodes: placement.nodes } : {}
  if (placement.gpus.length === 0) return { kind: 'cpu', ...(placement.processesPerNode > 1 ? { processes: placement.processesPerNode } : {}), ...nodes }
  if (placement.gpus.length === 1) return { kind: 'gpu', index: placement.gpus[0]!, ...nodes }
  return { kind: 'gpus', indices: [...placement.gpus], ...nodes }
}

/**
 * The runtime's argv after the Python executable. One rank on one machine runs the runtime
 * directly, as always; anything more goes through PyTorch's own launcher (torchrun), which
 * starts the ranks, gives each RANK/LOCAL_RANK/WORLD_SIZE, and forwards a stop signal to them.
 * --max-restarts=0: a failed rank fails the run, with its error, instead of restarting silently.
 */
export function runtimeArgs(placement: RunPlacement, runDir: string, resume: boolean): string[] {
  const train = ['-m', 'localtune_runtime', 'train', '--run-dir', runDir, ...(resume ? ['--resume'] : [])]
  if (worldSizeOf(placement) === 1) return train
  const rendezvous = placement.nodes
    ? [`--nnodes=${placement.nodes.count}`, `--node-rank=${placement.nodes.rank}`, '--rdzv-backend=c10d', `--rdzv-endpoint=${placement.nodes.rendezvous}`]
    : ['--standalone']
  return ['-m', 'torch.distributed.run', `--nproc-per-node=${placement.processesPerNode}`, ...rendezvous, '--max-restarts=0', ...train]
}

/** This machine's node rank when it is not machine 0 of a run across machines; else null. */
export function followerNodeOf(placement: RunPlacement): number | null {
  return placement.nodes && placement.nodes.rank > 0 ? placement.nodes.rank : null
}

/** CUDA_VISIBLE_DEVICES for the run: its GPUs in nvidia-smi order (PCI_BUS_ID), none on the CPU. */
export function cudaVisibleDevicesOf(placement: RunPlacement): string {
  return placement.gpus.join(',')
}

/** "GPU 0", "GPUs 0, 1, 2", "the CPU" or "the CPU (2 processes)", for messages. */
export function describePlacement(placement: RunPlacement): string {
  const here =
    placement.gpus.length === 0
      ? placement.processesPerNode > 1
        ? `the CPU (${placement.processesPerNode} processes)`
        : 'the CPU'
      : placement.gpus.length === 1
        ? `GPU ${placement.gpus[0]}`
        : `GPUs ${placement.gpus.join(', ')}`
  return placement.nodes ? `${here} on node ${placement.nodes.rank} of ${placement.nodes.count}` : here
}

/** The placement beside run.json: the run folder is the truth, so the index rebuilt from it keeps where the run trained. */
export const placementFile = 'placement.json'

export function writePlacementFile(runDir: string, placement: RunPlacement): void {
  fs.writeFileSync(path.join(runDir, placementFile), `${JSON.stringify(placement, null, 2)}\n`)
}

/** The placement a run folder recorded, or null for folders from before it was written (or unreadable). */
export function readPlacementFile(runDir: string): RunPlacement | null {
  try {
    const parsed = placementSchema.safeParse(JSON.parse(fs.readFileSync(path.join(runDir, placementFile), 'utf8')))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

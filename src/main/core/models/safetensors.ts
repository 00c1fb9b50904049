import fs from 'node:fs'
import path from 'node:path'
import { ModelFileError, modelFileLimits, openRegularFile, readRegularTextFile } from './bounded-file-read'

/**
 * Exact parameter counts from safetensors headers, without reading the weights. A safetensors
 * file starts with an 8-byte little-endian header length N, then N bytes of JSON mapping each
 * tensor name to { dtype, shape, data_offsets } (plus an optional "__metadata__" entry).
 */

export interface SafetensorsTensor {
  name: string
  dtype: string
  shape: number[]
  dataOffsets: [number, number]
}

export interface SafetensorsHeader {
  tensors: SafetensorsTensor[]
  metadata: Record<string, string> | null
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SafetensorsError'
  }
}

/** Headers larger than this are not plausible (the format's reference reader limits them to 100 MB). */
const maxHeaderBytes = 100 * 1024 * 1024

export function readSafetensorsHeader(file: string): SafetensorsHeader {
  let opened: { fd: number; size: number }
  try {
    // Never a FIFO or a device: opening one blocked the host, reading one never ended.
    opened = openRegularFile(file)
  } catch (error) {
    if (error instanceof ModelFileError) throw new SafetensorsError(error.message)
    const code = (error as NodeJS.ErrnoException).code
    throw new SafetensorsError(code === 'ENOENT' ? `${file} is missing (a dangling link in the Hugging Face cache means the download did not finish).` : `${file} cannot be read: ${(error as Error).message}`)
  }
  const { fd, size } = opened
  try {
    const prefix = Buffer.alloc(8)
    if (size < 8 || fs.readSync(fd, prefix, 0, 8, 0) !== 8) throw new SafetensorsError(`${file} is too short to be a safetensors file (${size} bytes).`)
    const length = prefix.readBigUInt64LE(0)
    if (length > BigInt(Math.min(maxHeaderBytes, size - 8))) {
      throw new SafetensorsError(`${file} is not a valid safetensors file: its header claims ${length} bytes but the file has ${size}.`)
    }
    const header = Buffer.alloc(Number(length))
    fs.readSync(fd, header, 0, header.length, 8)
    let json: unknown
    try {
      json = JSON.parse(header.toString('utf8'))
    } catch (error) {
      throw new SafetensorsError(`${file} has a damaged header (not JSON: ${(error as Error).message}).`)
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SafetensorsError(`${file} has a damaged header (not a JSON object).`)
    const tensors: SafetensorsTensor[] = []
    let metadata: Record<string, string> | null = null
    for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = value as Record<string, string>
        continue
      }
      const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown }
      if (typeof entry.dtype !== 'string' || !Array.isArray(entry.shape) || !entry.shape.every((dim) => Number.isInteger(dim) && dim >= 0) || !Array.isArray(entry.data_offsets) || entry.data_offsets.length !== 2) {
        throw new SafetensorsError(`${file}: tensor "${name}" has no valid dtype/shape/data_offsets in the header.`)
      }
      tensors.push({ name, dtype: entry.dtype, shape: entry.shape as number[], dataOffsets: entry.data_offsets as [number, number] })
    }
    // A download cut short leaves a header that promises more data than the file holds.
    const dataBytes = size - 8 - Number(length)
    const end = tensors.reduce((max, tensor) => Math.max(max, Number(tensor.dataOffsets[1])), 0)
    if (end > dataBytes) throw new SafetensorsError(`${file} is shorter than its header says (${dataBytes} data bytes, tensors need ${end}): the download is incomplete.`)
    return { tensors, metadata }
  } finally {
    fs.closeSync(fd)
  }
}

export interface ParameterTally {
  total: number
  /** Element counts per safetensors dtype ("BF16", "F32", "U8", ...). */
  byDtype: Record<string, number>
  files: string[]
}

/** Sums parameters over the given files; each tensor counts the product of its shape. */
export function tallyParameters(files: readonly string[]): ParameterTally {
  const byDtype: Record<string, number> = {}
  let total = 0
  for (const file of files) {
    for (const tensor of readSafetensorsHeader(file).tensors) {
      const elements = tensor.shape.reduce((product, dim) => product * dim, 1)
      byDtype[tensor.dtype] = (byDtype[tensor.dtype] ?? 0) + elements
      total += elements
    }
  }
  return { total, byDtype, files: [...files] }
}

/**
 * The weight files of a model folder: the shards named by model.safetensors.index.json when
 * there is one, else model.safetensors, else every model*.safetensors. Throws when the index
 * names shards that are not there.
 */
export function modelWeightFiles(dir: string): string[] {
  const index = path.join(dir, 'model.safetensors.index.json')
  if (fs.existsSync(index)) {
    let weightMap: Record<string, string>
    let text: string
    try {
      text = readRegularTextFile(index, modelFileLimits.json)
    } catch (error) {
      throw new SafetensorsError(error instanceof ModelFileError ? error.message : `${index} cannot be read: ${(error as Error).message}`)
    }
    try {
      weightMap = (JSON.parse(text) as { weight_map?: Record<string, string> }).weight_map ?? {}
    } catch (error) {
      throw new SafetensorsError(`${index} is not valid JSON (${(error as Error).message}).`)
    }
    const shards = [...new Set(Object.values(weightMap))].sort()
    if (shards.length === 0) throw new SafetensorsError(`${index} has no weight_map entries.`)
    const missing = shards.filter((shard) => !fs.existsSync(path.join(dir, shard)))
    if (missing.length > 0) throw new SafetensorsError(`${missing.length} of ${shards.length} weight shards are missing in ${dir} (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}): the download is incomplete.`)
    return shards.map((shard) => path.join(dir, shard))
  }
  const single = path.join(dir, 'model.safetensors')
  if (fs.existsSync(single)) return [single]
  return fs
    .readdirSync(dir)
    .filter((name) => /^model.*\.safetensors$/.test(name))
    .sort()
    .map((name) => path.join(dir, name))
}

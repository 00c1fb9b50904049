import fs from 'node:fs'

/**
 * Writes a real safetensors file: 8-byte little-endian header length, the JSON header
 * (padded with spaces to a multiple of 8, as the reference writer does), then the tensor data.
 * Tensors are given as name → [dtype, shape]; data is zeros.
 */
const bytesPerElement: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I32: 4, I64: 8 }

export function writeSafetensors(file: string, tensors: Record<string, [string, number[]]>, options: { metadata?: Record<string, string>; truncateDataBy?: number } = {}): void {
  const header: Record<string, unknown> = {}
  if (options.metadata) header.__metadata__ = options.metadata
  let offset = 0
  for (const [name, [dtype, shape]] of Object.entries(tensors)) {
    const size = shape.reduce((product, dim) => product * dim, 1) * (bytesPerElement[dtype] ?? 1)
    header[name] = { dtype, shape, data_offsets: [offset, offset + size] }
    offset += size
  }
  let json = JSON.stringify(header)
  json += ' '.repeat((8 - (json.length % 8)) % 8)
  const prefix = Buffer.alloc(8)
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)))
  const data = Buffer.alloc(Math.max(0, offset - (options.truncateDataBy ?? 0)))
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(json, 'utf8'), data]))
}

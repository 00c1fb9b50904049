import fs from 'node:fs'

/**
 * Reads of files in model folders, which LocalTune does not control: a folder the user added may
 * hold a FIFO named config.json (opening it blocks until someone writes: the whole host froze,
 * and because the folder is remembered, every later model list froze again), or a link to
 * /dev/zero (reading it never ends: the host grew past 1.5 GB). Only regular files are read, and
 * only up to a size that fits what the file is.
 */

export class ModelFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelFileError'
  }
}

/** Size limits by what a file is: generous for real models, far below what would hurt the host. */
export const modelFileLimits = {
  /** config.json, generation_config.json, tokenizer_config.json, model.safetensors.index.json. */
  json: 64 * 1024 * 1024,
  /** refs/main in the Hugging Face cache: a commit hash. */
  ref: 4 * 1024
} as const

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'named pipe (FIFO)'
  if (stat.isCharacterDevice()) return 'character device'
  if (stat.isBlockDevice()) return 'block device'
  if (stat.isSocket()) return 'socket'
  if (stat.isDirectory()) return 'folder'
  return 'special file'
}

/**
 * Opens `file` for reading only if it is a regular file (links are followed, as the Hugging Face
 * cache links snapshots to blobs). O_NONBLOCK makes opening a FIFO return at once instead of
 * waiting for a writer; the check is on the opened descriptor, so nothing can be swapped in
 * between the check and the read. The caller closes the descriptor.
 */
export function openRegularFile(file: string): { fd: number; size: number } {
  const flags = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0)
  const fd = fs.openSync(file, flags)
  try {
    const stat = fs.fstatSync(fd)
    if (!stat.isFile()) {
      throw new ModelFileError(`${file} is a ${kindOf(stat)}, not a regular file: LocalTune reads model files only from regular files. Replace it with the real file, or remove it.`)
    }
    return { fd, size: stat.size }
  } catch (error) {
    fs.closeSync(fd)
    throw error
  }
}

/** The whole content of a regular file of at most `maxBytes`; ModelFileError otherwise. */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  const { fd, size } = openRegularFile(file)
  try {
    if (size > maxBytes) {
      throw new ModelFileError(`${file} is ${size} bytes, more than the ${maxBytes} bytes such a file can plausibly be: it was not read. Check that it is the right file.`)
    }
    const buffer = Buffer.alloc(size)
    let filled = 0
    // A file that shrinks while read ends early; one that grows is read only to its size at open.
    while (filled < size) {
      const read = fs.readSync(fd, buffer, filled, size - filled, filled)
      if (read === 0) break
      filled += read
    }
    return buffer.subarray(0, filled)
  } finally {
    fs.closeSync(fd)
  }
}

export function readRegularTextFile(file: string, maxBytes: number = modelFileLimits.json): string {
  return readRegularFile(file, maxBytes).toString('utf8')
}

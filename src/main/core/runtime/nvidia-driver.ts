import fs from 'node:fs'
import path from 'node:path'

/** Whether this machine has an NVIDIA driver (nvidia-smi on PATH): a CUDA runtime pack needs one. */
export function hasNvidiaSmi(env: NodeJS.ProcessEnv): boolean {
  const names = process.platform === 'win32' ? ['nvidia-smi.exe'] : ['nvidia-smi']
  return (env.PATH ?? '').split(path.delimiter).some((dir) => dir && names.some((name) => fs.existsSync(path.join(dir, name))))
}

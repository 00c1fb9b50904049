import path from 'node:path'

/**
 * The environment every runtime process gets. PYTHONPATH points at the bundled
 * python-runtime/ so `python -m localtune_runtime` works with any discovered interpreter;
 * the hub is offline unless the user opted in, so nothing reaches the network by accident.
 */
export function runtimeEnvironment(
  base: NodeJS.ProcessEnv,
  runtimeDir: string,
  options: { allowDownloads?: boolean; cudaVisibleDevices?: string | null } = {}
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base }
  env.PYTHONPATH = [runtimeDir, base.PYTHONPATH].filter(Boolean).join(path.delimiter)
  env.PYTHONUNBUFFERED = '1'
  env.PYTHONIOENCODING = 'utf-8'
  if (!options.allowDownloads) {
    env.HF_HUB_OFFLINE = '1'
    env.TRANSFORMERS_OFFLINE = '1'
  } else {
    delete env.HF_HUB_OFFLINE
    delete env.TRANSFORMERS_OFFLINE
  }
  if (options.cudaVisibleDevices !== undefined && options.cudaVisibleDevices !== null) env.CUDA_VISIBLE_DEVICES = options.cudaVisibleDevices
  return env
}

import path from 'node:path'

/**
 * The environment every runtime process gets. PYTHONPATH points at the bundled
 * python-runtime/ so `python -m localtune_runtime` works with any discovered interpreter;
 * the hub is offline unless the user opted in, so nothing reaches the network by accident.
 *
 * One GPU numbering everywhere: CUDA numbers GPUs fastest first unless told otherwise, while
 * nvidia-smi (the hardware view, the memory readings) numbers them by PCI bus. With
 * CUDA_DEVICE_ORDER=PCI_BUS_ID the probe's torch indices and CUDA_VISIBLE_DEVICES name the card
 * nvidia-smi calls by the same index. Set even over the user's own value: the app's indices
 * come from nvidia-smi. `everyGpu` (the probe) shows torch every card, whatever the user's
 * CUDA_VISIBLE_DEVICES says.
 */
export function runtimeEnvironment(
  base: NodeJS.ProcessEnv,
  runtimeDir: string,
  options: { allowDownloads?: boolean; cudaVisibleDevices?: string | null; everyGpu?: boolean } = {}
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base }
  env.PYTHONPATH = [runtimeDir, base.PYTHONPATH].filter(Boolean).join(path.delimiter)
  env.PYTHONUNBUFFERED = '1'
  env.PYTHONIOENCODING = 'utf-8'
  env.CUDA_DEVICE_ORDER = 'PCI_BUS_ID'
  if (!options.allowDownloads) {
    env.HF_HUB_OFFLINE = '1'
    env.TRANSFORMERS_OFFLINE = '1'
  } else {
    delete env.HF_HUB_OFFLINE
    delete env.TRANSFORMERS_OFFLINE
  }
  if (options.cudaVisibleDevices !== undefined && options.cudaVisibleDevices !== null) env.CUDA_VISIBLE_DEVICES = options.cudaVisibleDevices
  // The probe lists the cards for the app: a user's own CUDA_VISIBLE_DEVICES would renumber
  // them (its subset counted from 0) and break the match with nvidia-smi's indices.
  else if (options.everyGpu) delete env.CUDA_VISIBLE_DEVICES
  return env
}

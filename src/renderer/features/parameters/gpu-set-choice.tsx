import type { HardwareSnapshot } from '../../../shared/hardware/types'
import { useGpuSet, useParametersActions } from '../../stores/parameters-store'
import type { ReadyEstimate } from './estimate-view'
import { choosableGpus, effectiveBatch, runDeviceChoice } from './gpu-set'

/**
 * On a machine with several GPUs: train on the estimate's GPU, on all of them, or on a chosen
 * set, each GPU one torchrun rank. Says what the choice does to the batch, since with N ranks
 * the same settings take N times the examples per optimizer step.
 */
export function GpuSetChoice({ snapshot, view }: { snapshot: HardwareSnapshot | null; view: ReadyEstimate | null }) {
  const gpuSet = useGpuSet()
  const { gpuSetChosen } = useParametersActions()
  const gpus = choosableGpus(snapshot)
  if (gpus.length === 0) return null
  const onCpu = view?.chosen.device.kind === 'cpu'
  const picked = Array.isArray(gpuSet) ? gpuSet : []
  const toggle = (index: number, on: boolean) => gpuSetChosen(on ? [...picked.filter((other) => other !== index), index].sort((a, b) => a - b) : picked.filter((other) => other !== index))
  const choice = view ? runDeviceChoice(view, gpuSet) : null
  const ranks = choice?.kind === 'gpus' ? (choice.indices === 'all' ? gpus.length : choice.indices.length) : 1
  return (
    <section className="panel gpu-set-choice" aria-labelledby="gpu-set-title" data-testid="gpu-set-choice">
      <div className="panel-header">
        <h3 id="gpu-set-title">GPUs for this run</h3>
      </div>
      {onCpu ? (
        <p className="small muted">The run trains on the CPU (the device chosen for the estimate); choose a GPU there to train on several.</p>
      ) : (
        <fieldset className="gpu-set-options">
          <legend className="visually-hidden">GPUs for this run</legend>
          <label>
            <input type="radio" name="gpu-set" checked={gpuSet === 'one'} onChange={() => gpuSetChosen('one')} />{' '}
            {view?.autoGpuIndices && view.autoGpuIndices.length > 1 ? `As Auto chose: GPUs ${view.autoGpuIndices.join(', ')}` : `One GPU: ${view?.chosen.device.label ?? 'the estimate’s device'}`}
          </label>
          <label>
            <input type="radio" name="gpu-set" checked={gpuSet === 'all'} onChange={() => gpuSetChosen('all')} /> All {gpus.length} GPUs
          </label>
          <label>
            <input type="radio" name="gpu-set" checked={Array.isArray(gpuSet)} onChange={() => gpuSetChosen(picked.length > 0 ? picked : [...gpus])} /> These GPUs:
          </label>
          <span className="gpu-set-boxes">
            {gpus.map((index) => (
              <label key={index}>
                <input type="checkbox" disabled={!Array.isArray(gpuSet)} checked={picked.includes(index)} onChange={(event) => toggle(index, event.currentTarget.checked)} /> GPU {index}
              </label>
            ))}
          </span>
        </fieldset>
      )}
      {view && !onCpu && ranks > 1 && (
        <p className="small" data-testid="gpu-set-batch">
          {ranks} ranks (torchrun, one per GPU); the run waits until all of them are free. Effective batch {effectiveBatch(view.params, ranks)} = micro batch {view.params.micro_batch_size} × accumulation{' '}
          {view.params.gradient_accumulation_steps} × {ranks}. The estimate above is per GPU ({view.chosen.vram.parallelism === 'fsdp' ? `FSDP: each holds 1/${ranks} of the weights, gradients and optimizer state` : 'DDP: each holds the whole model'}) and its time is for all {ranks} together.
        </p>
      )}
      {Array.isArray(gpuSet) && picked.length === 0 && <p className="small error-text">Tick at least one GPU; with none ticked the run trains on the estimate’s device.</p>}
    </section>
  )
}

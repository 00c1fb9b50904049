import { useState } from 'react'
import type { RuntimeCapabilitiesView } from '../../../shared/contract'
import { useRuntimeSetup } from '../../stores/runtime-setup-store'
import { FolderPathField } from './folder-path-field'
import { installRuntimeFromFolder } from './runtime-setup-service'

function CapabilityList({ capabilities }: { capabilities: RuntimeCapabilitiesView }) {
  const yes = (flag: boolean) => (flag ? 'yes' : 'no')
  return (
    <ul className="capability-list" aria-label="What the runtime can do">
      <li>PyTorch: {capabilities.torch ?? 'missing'}</li>
      <li>CPU: {yes(capabilities.cpu)}</li>
      <li>CUDA (NVIDIA GPU): {capabilities.cuda ? `yes (${capabilities.gpus.join(', ')})` : 'no'}</li>
      <li>LoRA: {yes(capabilities.lora)}</li>
      <li>QLoRA: {capabilities.qlora ? 'yes' : 'no (needs CUDA and bitsandbytes)'}</li>
      <li>Full finetuning: {yes(capabilities.full)}</li>
    </ul>
  )
}

/**
 * "Install from a folder or USB disk": for a machine with no network. The folder is made on a
 * connected machine by `localtune runtime pack`; the core checks it against this machine (Python,
 * platform, CPU or CUDA) and its manifest before anything is installed, and pip consults no index.
 */
export function RuntimeFolderInstall() {
  const setup = useRuntimeSetup()
  const [folder, setFolder] = useState('')
  const outcome = setup.folderOutcome
  return (
    <section className="runtime-folder-install" aria-labelledby="runtime-folder-title">
      <h4 id="runtime-folder-title">Install from a folder or USB disk</h4>
      <p className="small">
        No network here? On a connected machine, run <code>localtune runtime pack --out DIR</code> (add <code>--python</code> and <code>--platform</code> for
        this machine when that one differs), carry the folder over, and give it here. Nothing is downloaded; every file is checked against the pack's manifest.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault()
          void installRuntimeFromFolder(folder.trim())
        }}
      >
        <FolderPathField label="Runtime pack folder" value={folder} onChange={setFolder} pickerTitle="The folder made by localtune runtime pack" placeholder="/media/usb/localtune-runtime" disabled={setup.running} />
        <button type="submit" disabled={setup.running}>
          {setup.running && setup.route === 'folder' ? 'Installing…' : 'Install from this folder'}
        </button>
      </form>
      {outcome && !outcome.ok && (
        <div role="alert" className="error-text" data-testid="runtime-folder-problem">
          <p>The runtime was not installed from this folder.</p>
          <pre>{outcome.problem}</pre>
        </div>
      )}
      {outcome?.ok && outcome.capabilities && (
        <div className="ok-text" data-testid="runtime-folder-ready">
          <p>The runtime is installed ({Math.round(outcome.seconds)} s). It can train:</p>
          <CapabilityList capabilities={outcome.capabilities} />
        </div>
      )}
    </section>
  )
}

import type { ContractHandlers, HostCapabilities } from '../../../shared/contract'
import { UserFacingError } from '../user-facing-error'

/**
 * What only a desktop host can do for the user, given to the core by that host (the Electron host
 * answers with its dialog and shell modules; the core never imports Electron). A host that passes
 * none, the browser host and the CLI, declares it cannot, and `host.capabilities` says so, so the
 * renderer shows a path field and a copyable path instead of buttons.
 */
export interface DesktopHost {
  /** The system's folder picker; null when the user closed it without choosing. */
  pickFolder(title: string): Promise<string | null>
  /** Shows the folder in the file manager; resolves to a problem in words, or '' when it opened. */
  openFolder(folder: string): Promise<string>
}

export type HostChannels = 'host.capabilities' | 'host.pick-folder'

export function hostCapabilities(desktop: DesktopHost | null): HostCapabilities {
  return { pickFolder: desktop !== null, openFolder: desktop !== null }
}

export function hostHandlers(desktop: DesktopHost | null): Pick<ContractHandlers, HostChannels> {
  return {
    'host.capabilities': async () => hostCapabilities(desktop),
    'host.pick-folder': async ({ title }) => {
      if (!desktop) throw new UserFacingError('This window has no folder picker (a browser tab cannot offer one): type the full path of the folder instead.', { code: 'conflict' })
      return { path: await desktop.pickFolder(title) }
    }
  }
}

/** Opens a folder with the desktop host, or says why it cannot and where the folder is. */
export async function openFolderWith(desktop: DesktopHost | null, folder: string): Promise<{ opened: true; path: string }> {
  if (!desktop) throw new UserFacingError(`This window cannot open folders. The folder is ${folder}: copy the path and open it in your file manager.`, { code: 'conflict' })
  const problem = await desktop.openFolder(folder)
  if (problem) throw new UserFacingError(`The folder ${folder} could not be opened: ${problem}`)
  return { opened: true, path: folder }
}

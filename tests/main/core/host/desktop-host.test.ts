import { afterEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { createCore, type Core } from '../../../../src/main/core/create-core'
import { openFolderWith, type DesktopHost } from '../../../../src/main/core/host/desktop-host'
import { makeTempHome } from '../../../helpers/temp-home'

// host.capabilities tells the renderer whether a folder picker and "Open folder" exist, so a
// browser tab shows a path field and a copyable path instead of buttons that cannot work.
let core: Core | null = null
let cleanup = () => {}

afterEach(() => {
  core?.close()
  cleanup()
})

function start(desktop?: DesktopHost): Core {
  const temp = makeTempHome()
  cleanup = temp.cleanup
  core = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home }, ...(desktop ? { desktop } : {}) })
  return core
}

describe('host capabilities', () => {
  it('a host without a desktop (browser, CLI) declares neither, and says what to do instead when asked anyway', async () => {
    const { handlers } = start()
    expect(await handlers['host.capabilities']({})).toEqual({ pickFolder: false, openFolder: false })
    const pick = await dispatchContractCall(handlers, 'host.pick-folder', { title: 'Choose a folder' })
    expect(pick).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringContaining('type the full path of the folder instead') } })
    await expect(openFolderWith(null, '/data/run-1')).rejects.toThrow('This window cannot open folders. The folder is /data/run-1')
  })

  it('a desktop host declares both and answers with its own dialog and file manager', async () => {
    const opened: string[] = []
    const desktop: DesktopHost = {
      pickFolder: async (title) => (title === 'Pack into' ? '/media/usb/pack' : null),
      openFolder: async (folder) => {
        opened.push(folder)
        return folder.startsWith('/gone') ? 'No such folder' : ''
      }
    }
    const { handlers } = start(desktop)
    expect(await handlers['host.capabilities']({})).toEqual({ pickFolder: true, openFolder: true })
    expect(await handlers['host.pick-folder']({ title: 'Pack into' })).toEqual({ path: '/media/usb/pack' })
    expect(await handlers['host.pick-folder']({ title: 'Closed without choosing' })).toEqual({ path: null })
    expect(await openFolderWith(desktop, '/data/run-1')).toEqual({ opened: true, path: '/data/run-1' })
    await expect(openFolderWith(desktop, '/gone/run-2')).rejects.toThrow('The folder /gone/run-2 could not be opened: No such folder')
    expect(opened).toEqual(['/data/run-1', '/gone/run-2'])
  })
})

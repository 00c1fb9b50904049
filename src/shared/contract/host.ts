import { z } from 'zod'
import { defineChannel } from './define'

/**
 * What the host serving this window can do beyond the core: a desktop host has a native folder
 * picker and can open a folder in the file manager; a browser tab can do neither, so the renderer
 * asks first and shows a path field or a copyable path instead of a button that cannot work.
 */
export const hostCapabilitiesSchema = z.object({
  /** A native "choose a folder" dialog (`host.pick-folder`). */
  pickFolder: z.boolean(),
  /** Opening a folder in the system's file manager (`runs.open-folder`). */
  openFolder: z.boolean()
})
export type HostCapabilities = z.infer<typeof hostCapabilitiesSchema>

export const hostChannels = {
  'host.capabilities': defineChannel({
    summary: 'What this host can do beyond the core: a native folder picker, opening folders in the file manager',
    request: z.object({}),
    response: hostCapabilitiesSchema
  }),
  'host.pick-folder': defineChannel({
    summary: "Ask the user for a folder with the system's folder picker (desktop host only)",
    request: z.object({ title: z.string().min(1).max(200) }),
    /** null: the user closed the dialog without choosing. */
    response: z.object({ path: z.string().nullable() })
  })
}

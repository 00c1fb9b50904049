import { z } from 'zod'
import { confirmedPathsSchema } from './confirmed-paths'
import { defineChannel, defineEventStream } from './define'

export const runtimeSetupRequestSchema = z.object({
  flavour: z.enum(['cuda', 'cpu']),
  /** A folder of wheels for an offline install; null uses the package index. */
  wheelhouse: z.string().min(1).nullable().default(null),
  /** Reuse packages the system already has (e.g. Debian's python3-torch). */
  systemSitePackages: z.boolean().default(true),
  confirmedPaths: confirmedPathsSchema
})

/** What an installed runtime can train, from its probe. */
export const runtimeCapabilitiesSchema = z.object({
  torch: z.string().nullable(),
  cpu: z.boolean(),
  cuda: z.boolean(),
  lora: z.boolean(),
  qlora: z.boolean(),
  full: z.boolean(),
  gpus: z.array(z.string())
})
export type RuntimeCapabilitiesView = z.infer<typeof runtimeCapabilitiesSchema>

export const runtimeChannels = {
  'runtime.setup': defineChannel({
    summary: 'Create the training runtime (a venv in the home folder) and install its requirements',
    request: runtimeSetupRequestSchema,
    response: z.object({ ok: z.boolean(), python: z.string().nullable(), problem: z.string().nullable() })
  }),
  'runtime.install-from-folder': defineChannel({
    summary: 'Install the training runtime from a folder made by `localtune runtime pack` (a USB disk), with no package index',
    request: z.object({ folder: z.string().trim().min(1, 'Give the full path of the folder made by `localtune runtime pack` (e.g. on a USB disk).'), confirmedPaths: confirmedPathsSchema }),
    response: z.object({
      ok: z.boolean(),
      /** Why nothing (or not everything) was installed, naming the folder and the file or the mismatch. */
      problem: z.string().nullable(),
      python: z.string().nullable(),
      capabilities: runtimeCapabilitiesSchema.nullable(),
      seconds: z.number()
    })
  })
}

export const runtimeEventStreams = {
  'runtime.setup-output': defineEventStream({
    summary: 'What the runtime set-up prints, as it prints it',
    payload: z.object({ text: z.string() })
  })
}

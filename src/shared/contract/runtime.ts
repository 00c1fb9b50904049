import { z } from 'zod'
import { defineChannel, defineEventStream } from './define'

export const runtimeSetupRequestSchema = z.object({
  flavour: z.enum(['cuda', 'cpu']),
  /** A folder of wheels for an offline install; null uses the package index. */
  wheelhouse: z.string().min(1).nullable().default(null),
  /** Reuse packages the system already has (e.g. Debian's python3-torch). */
  systemSitePackages: z.boolean().default(true)
})

export const runtimeChannels = {
  'runtime.setup': defineChannel({
    summary: 'Create the training runtime (a venv in the home folder) and install its requirements',
    request: runtimeSetupRequestSchema,
    response: z.object({ ok: z.boolean(), python: z.string().nullable(), problem: z.string().nullable() })
  })
}

export const runtimeEventStreams = {
  'runtime.setup-output': defineEventStream({
    summary: 'What the runtime set-up prints, as it prints it',
    payload: z.object({ text: z.string() })
  })
}

import { z } from 'zod'
import { confirmedPathsSchema } from './confirmed-paths'
import { defineChannel, defineEventStream } from './define'
import { modelFolderListSchema } from './estimate'

/**
 * Carrying a model to a machine with no network (the Model screen's "Pack for another machine"
 * and "Add a model from a folder or disk"; `localtune models pack|add` on the command line). The
 * copy runs off the host's event loop, reports models.transfer-progress, and can be cancelled.
 */

const fullPath = (what: string) => z.string().trim().min(1, `Give the full path of ${what}.`)
/** Chosen by the caller; echoed in models.transfer-progress and used by models.cancel-transfer. */
const transferId = z.string().min(1).max(100)

/** A cancelled copy: what it had written was removed (the source is never written to). */
const cancelledSchema = z.object({ status: z.literal('cancelled') })

export const modelTransferChannels = {
  'models.pack': defineChannel({
    summary: 'Copy a model (from the Hugging Face cache or a folder) with its tokenizer, config and a sha256 manifest into a folder to carry',
    request: z.object({
      /** A Hugging Face id in the cache, or the full path of a model folder. */
      model: z.string().trim().min(1, 'Choose the model to pack.'),
      outDir: fullPath('a new or empty folder to pack into (e.g. on a USB disk)'),
      confirmedPaths: confirmedPathsSchema,
      transferId: transferId.optional()
    }),
    response: z.discriminatedUnion('status', [
      z.object({ status: z.literal('done'), id: z.string(), dir: z.string(), files: z.number().int(), bytes: z.number() }),
      cancelledSchema
    ])
  }),
  'models.add-packed': defineChannel({
    summary: 'Copy a packed model folder into the Hugging Face cache (files and safetensors headers checked), so every screen lists it',
    request: z.object({
      path: fullPath('the folder that holds the model (made by "Pack for another machine", or any model folder)'),
      /** The Hugging Face id to file it under; a packed folder names its own. */
      id: z.string().trim().min(1).nullable().default(null),
      confirmedPaths: confirmedPathsSchema,
      transferId: transferId.optional()
    }),
    response: z.discriminatedUnion('status', [
      modelFolderListSchema.extend({ status: z.literal('done'), added: z.object({ id: z.string(), snapshotDir: z.string() }) }),
      cancelledSchema
    ])
  }),
  'models.cancel-transfer': defineChannel({
    summary: 'Stop a models.pack or models.add-packed copy; what it wrote is removed',
    request: z.object({ transferId }),
    /** False when no copy with that id is running (it had finished, or never started). */
    response: z.object({ cancelled: z.boolean() })
  })
}

export const modelTransferEventStreams = {
  'models.transfer-progress': defineEventStream({
    summary: 'How far a models.pack or models.add-packed copy has got: bytes of all its files, and the file being copied',
    payload: z.object({
      transferId: z.string(),
      action: z.enum(['pack', 'add']),
      file: z.string(),
      bytesDone: z.number(),
      bytesTotal: z.number()
    })
  })
}

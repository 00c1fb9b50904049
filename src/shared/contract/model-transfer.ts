import { z } from 'zod'
import { defineChannel } from './define'
import { modelFolderListSchema } from './estimate'

/**
 * Carrying a model to a machine with no network (the Model screen's "Pack for another machine"
 * and "Add a model from a folder or disk"; `localtune models pack|add` on the command line).
 */

const fullPath = (what: string) => z.string().trim().min(1, `Give the full path of ${what}.`)

export const modelTransferChannels = {
  'models.pack': defineChannel({
    summary: 'Copy a model (from the Hugging Face cache or a folder) with its tokenizer, config and a sha256 manifest into a folder to carry',
    request: z.object({
      /** A Hugging Face id in the cache, or the full path of a model folder. */
      model: z.string().trim().min(1, 'Choose the model to pack.'),
      outDir: fullPath('a new or empty folder to pack into (e.g. on a USB disk)')
    }),
    response: z.object({ id: z.string(), dir: z.string(), files: z.number().int(), bytes: z.number() })
  }),
  'models.add-packed': defineChannel({
    summary: 'Copy a packed model folder into the Hugging Face cache (files and safetensors headers checked), so every screen lists it',
    request: z.object({
      path: fullPath('the folder that holds the model (made by "Pack for another machine", or any model folder)'),
      /** The Hugging Face id to file it under; a packed folder names its own. */
      id: z.string().trim().min(1).nullable().default(null)
    }),
    response: modelFolderListSchema.extend({ added: z.object({ id: z.string(), snapshotDir: z.string() }) })
  })
}

import fs from 'node:fs'
import path from 'node:path'
import type { Core } from '../../../../src/main/core/create-core'
import { coreWithOwnHfCache } from '../../../helpers/own-hf-cache-core'

const configFixture = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures/models/meta-llama--Llama-3.2-1B/config.json')

export interface ModelFolderHome {
  core: Core
  home: string
  /** HF_HUB_CACHE of this core: where an added model goes. */
  hfCache: string
  /** A model folder with Llama-3.2-1B's config.json and a minimal tokenizer.json; weights are the test's. */
  modelDir: string
  cleanup: () => void
}

/** A core on a temp home with a Hugging Face cache of its own, and a model folder to pack or add. */
export function modelFolderHome(modelName: string): ModelFolderHome {
  const { core, home, hfCache, cleanup } = coreWithOwnHfCache()
  const modelDir = path.join(home, 'models', modelName)
  fs.mkdirSync(modelDir, { recursive: true })
  fs.copyFileSync(configFixture, path.join(modelDir, 'config.json'))
  fs.writeFileSync(path.join(modelDir, 'tokenizer.json'), '{"version": "1.0", "model": {"type": "BPE", "vocab": {}, "merges": []}}')
  return {
    core,
    home,
    hfCache,
    modelDir,
    cleanup
  }
}

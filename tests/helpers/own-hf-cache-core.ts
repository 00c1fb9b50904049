import path from 'node:path'
import { createCore, type Core } from '../../src/main/core/create-core'
import { makeTempHome } from './temp-home'

export interface OwnHfCacheCore {
  /** The core now running (a new one after `restart`). */
  core: Core
  home: string
  env: NodeJS.ProcessEnv
  /** HF_HUB_CACHE of this core, not made yet (so a test sees whether anything was added): the machine's own cache never leaks into a test. */
  hfCache: string
  /** Closes the core and starts another on the same home, as a restart of the app would. */
  restart(): Core
  cleanup(): void
}

/** A core on a temp LOCALTUNE_HOME with a Hugging Face cache and HF_HOME of its own. */
export function coreWithOwnHfCache(): OwnHfCacheCore {
  const temp = makeTempHome()
  const home = temp.home
  const hfCache = path.join(home, 'hf-cache')
  const env: NodeJS.ProcessEnv = { ...process.env, LOCALTUNE_HOME: home, HF_HUB_CACHE: hfCache, HF_HOME: path.join(home, 'hf-home') }
  const started: OwnHfCacheCore = {
    core: createCore({ home, env }),
    home,
    env,
    hfCache,
    restart: () => {
      started.core.close()
      started.core = createCore({ home, env })
      return started.core
    },
    cleanup: () => {
      started.core.close()
      temp.cleanup()
    }
  }
  return started
}

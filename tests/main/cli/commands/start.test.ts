import { afterEach, describe, expect, it } from 'vitest'
import { startCommand } from '../../../../src/main/cli/commands/start'
import { makeTempHome } from '../../../helpers/temp-home'

describe('localtune start', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  // DISPLAY decides only on Linux; elsewhere a window can always open.
  it.runIf(process.platform === 'linux')('says in one line why there is no window and serves the app in browser mode instead', async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const out: string[] = []
    const err: string[] = []
    let stop: () => void = () => {}
    const interrupted = new Promise<void>((resolve) => {
      stop = resolve
    })
    const env: NodeJS.ProcessEnv = { ...process.env, LOCALTUNE_HOME: temp.home }
    delete env.DISPLAY
    delete env.WAYLAND_DISPLAY
    const io = {
      out: (text: string) => {
        out.push(text)
        if (text.includes('browser mode:')) stop()
      },
      err: (text: string) => err.push(text),
      isTty: false
    }
    const code = await startCommand.run([], io, { env, cwd: temp.home, home: temp.home, interrupted })
    expect(err[0]).toMatch(/^No display is available for a desktop window .* Starting browser mode instead\.$/)
    const url = out.join('\n').match(/http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/)?.[0]
    expect(url).toBeDefined()
    expect(code).toBe(0)
  }, 60_000)
})

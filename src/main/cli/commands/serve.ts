import { parseArgs } from 'node:util'
import { startBrowserHost } from '../../browser-host/server'
import { createCore, defaultRendererDir } from '../../core/create-core'
import { UsageError, type CliCommand } from '../command'
import fs from 'node:fs'
import path from 'node:path'

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run LocalTune in your browser (the same app, over HTTP on 127.0.0.1 with an access token)',
  usage: [
    'localtune serve [--port N] [--host ADDRESS]',
    '',
    '  --port N         port to listen on (default: a free port)',
    '  --host ADDRESS   address to bind (default 127.0.0.1). Anything else exposes LocalTune to your network.'
  ].join('\n'),
  async run(args, io, ctx) {
    const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } }, strict: true })
    const port = values.port === undefined ? 0 : Number(values.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${values.port}".`)
    const core = createCore({ env: ctx.env, home: ctx.home })
    const rendererDir = ctx.env.LOCALTUNE_RENDERER_DIR ?? defaultRendererDir(core.appRoot)
    if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
      io.err(`The app's pages are not built (${rendererDir}/index.html is missing). Run \`npm run build\`, then try again.`)
      core.close()
      return 1
    }
    const host = values.host ?? '127.0.0.1'
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
      io.err(`Warning: binding ${host} lets other machines reach LocalTune. Anyone with the link's token can train on this GPU and read your data.`)
    }
    // A dropped CSV streams into <home>/uploads/ (the browser has no path for it; the host
    // checks its size and the free space first); the page then imports it from there.
    const server = await startBrowserHost({ core, rendererDir, host, port, warn: (message) => io.err(message) })
    io.out(`LocalTune is running in browser mode: ${server.url}`)
    // Each link signs a browser in once (so one left in the browser history is worthless).
    const printNewLink = () => io.out(`New sign-in link: ${server.newLoginUrl()}`)
    const interactive = process.stdin.isTTY === true
    if (interactive) process.stdin.on('data', printNewLink)
    io.err(interactive ? 'The link works once: press Enter for another. Press Ctrl+C to stop.' : 'Press Ctrl+C to stop.')
    await ctx.interrupted
    if (interactive) {
      process.stdin.off('data', printNewLink)
      process.stdin.pause()
    }
    // Let running trainings finish their step and save a checkpoint before the host goes away.
    io.err('Stopping: running trainings save a checkpoint first…')
    await core.runs.stopAll()
    await server.close()
    core.close()
    io.err('LocalTune stopped.')
    return 0
  }
}

import { resolveStaticFile } from '../browser-host/static-files'

/**
 * The app's own origin in the desktop window. Pages loaded from file:// share one origin with
 * every file on the disk (and get file-system reach through it); a custom standard scheme gives
 * the app an origin of its own that serves the built renderer and nothing else.
 */
export const appScheme = 'app'
export const appHost = 'localtune'
export const appIndexUrl = `${appScheme}://${appHost}/index.html`

/**
 * Whether `url` is the app's own page: app://localtune/…, or in development exactly the origin of
 * the dev server (not a prefix match: http://localhost:5173.evil.example starts with the same text).
 */
export function isAppUrl(url: string, devServerUrl?: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === `${appScheme}:` && parsed.host === appHost && parsed.username === '' && parsed.password === '') return true
  if (!devServerUrl) return false
  try {
    const dev = new URL(devServerUrl)
    return (dev.protocol === 'http:' || dev.protocol === 'https:') && parsed.origin === dev.origin
  } catch {
    return false
  }
}

export type AppRequestAnswer = { status: 200; file: string; contentType: string } | { status: 400 | 404; message: string }

/** What app://localtune/<path> serves: a file inside the built renderer, never outside it. */
export function resolveAppRequest(rendererDir: string, url: string): AppRequestAnswer {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { status: 400, message: `Not a URL: ${url.slice(0, 200)}` }
  }
  if (parsed.protocol !== `${appScheme}:` || parsed.host !== appHost) return { status: 404, message: `${url.slice(0, 200)} is not part of LocalTune.` }
  try {
    const resolved = resolveStaticFile(rendererDir, parsed.pathname)
    return resolved ? { status: 200, ...resolved } : { status: 404, message: `${parsed.pathname} is not part of LocalTune.` }
  } catch (error) {
    return { status: 400, message: error instanceof Error ? error.message : String(error) }
  }
}

import fs from 'node:fs'
import path from 'node:path'
import { decodePathPart } from './request-guard'

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8'
}

/**
 * Resolves a URL path inside the built renderer; never outside it (no `..` escapes). A malformed
 * %-escape is a 400 (RequestRejection), not a crash; only regular files are served.
 *
 * Hand-written on purpose, with server.ts streaming the file through `pipeline`. sirv 3.0.2
 * pipes its read stream without an error handler: a file that disappears between listing and
 * reading (`npm run build` while `localtune serve` runs) emits an unhandled 'error' and ends the
 * host process (tried: ENOENT, exit 1). send 1.2 (under serve-static) handles that, but brings
 * eleven direct dependencies for what these 30 lines do, and would still need the regular-file
 * check in front of it. What it adds (ranges, ETags) a loopback page of a few files does not need.
 */
export function resolveStaticFile(rendererDir: string, urlPath: string): { file: string; contentType: string } | null {
  const decoded = decodePathPart(urlPath, 'path')
  if (decoded.includes('\0')) return null
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '')
  const file = path.resolve(rendererDir, relative)
  if (file !== rendererDir && !file.startsWith(rendererDir + path.sep)) return null
  let target = file
  if (!isRegularFile(target)) {
    // The app is one page: unknown paths without an extension get the page itself.
    if (path.extname(relative)) return null
    target = path.join(rendererDir, 'index.html')
    if (!isRegularFile(target)) return null
  }
  return { file: target, contentType: contentTypes[path.extname(target)] ?? 'application/octet-stream' }
}

function isRegularFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

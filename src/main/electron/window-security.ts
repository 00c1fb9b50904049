import { shell, type BrowserWindow, type Session } from 'electron'
import { installNavigationGuards, type NavigationSource } from './navigation-guards'

/** Links the app may open in the user's browser; everything else is refused. */
const externalLinkAllowlist = [/^https:\/\/huggingface\.co\//, /^https:\/\/pytorch\.org\//, /^https:\/\/github\.com\/localtune\//]

export function isAllowedExternalLink(url: string): boolean {
  return externalLinkAllowlist.some((pattern) => pattern.test(url))
}

/**
 * The Electron security checklist applied to one window and its session: no new windows, no
 * navigation (or redirect, or frame navigation) away from the app, no permissions, external links
 * only from the allowlist.
 */
export function lockDownWindow(window: BrowserWindow, isAppUrl: (url: string) => boolean): void {
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalLink(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  // will-navigate, will-redirect and will-frame-navigate: a redirect or a frame can leave the app too.
  installNavigationGuards(window.webContents as NavigationSource, isAppUrl)
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())
}

/**
 * No permissions, and a CSP on every response. Responses for which `setsOwnPolicy(url)` holds keep
 * the policy their handler gave them: app://localtune serves index.html with a policy that admits
 * that response's own style nonce, which one session-wide policy could not know. Every other
 * response gets `contentSecurityPolicy` in place of whatever it brought.
 */
export function lockDownSession(session: Session, contentSecurityPolicy: string, setsOwnPolicy: (url: string) => boolean): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    if (setsOwnPolicy(details.url)) return callback({})
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders, contentSecurityPolicy) })
  })
}

/** `headers` with `contentSecurityPolicy` as their only CSP (header names are case-insensitive: any spelling goes). */
export function withContentSecurityPolicy(headers: Record<string, string[]> | undefined, contentSecurityPolicy: string): Record<string, string[]> {
  const kept = Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy')
  return { ...Object.fromEntries(kept), 'Content-Security-Policy': [contentSecurityPolicy] }
}

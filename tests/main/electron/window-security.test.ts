import { describe, expect, it, vi } from 'vitest'
import { lockDownSession, withContentSecurityPolicy } from '../../../src/main/electron/window-security'

// window-security opens allowlisted links with Electron's shell; these tests run in Node.
vi.mock('electron', () => ({ shell: { openExternal: vi.fn() } }))

type HeadersListener = (details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[]> }) => void) => void

function fakeSession() {
  let listener: HeadersListener | undefined
  const session = {
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    webRequest: { onHeadersReceived: (given: HeadersListener) => (listener = given) }
  }
  const respond = (url: string, responseHeaders: Record<string, string[]>) => {
    let answer: { responseHeaders?: Record<string, string[]> } | undefined
    listener!({ url, responseHeaders }, (given) => (answer = given))
    return answer
  }
  return { session, respond }
}

describe('the session’s Content-Security-Policy', () => {
  it('leaves the app’s own responses their policy (it carries that page’s style nonce)', () => {
    const { session, respond } = fakeSession()
    lockDownSession(session as never, "default-src 'self'; style-src 'self' 'unsafe-inline'", (url) => url.startsWith('app://localtune/'))
    expect(respond('app://localtune/index.html', { 'Content-Security-Policy': ["style-src 'self' 'nonce-abc'"] })).toEqual({})
  })

  it('gives every other response the session’s policy, in place of any it brought', () => {
    const { session, respond } = fakeSession()
    lockDownSession(session as never, 'the-policy', (url) => url.startsWith('app://localtune/'))
    expect(respond('http://localhost:5173/', { 'content-security-policy': ['*'], 'Content-Type': ['text/html'] })).toEqual({
      responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': ['the-policy'] }
    })
  })

  it('denies every permission', () => {
    const { session } = fakeSession()
    lockDownSession(session as never, 'p', () => false)
    const handler = session.setPermissionRequestHandler.mock.calls[0]![0] as (w: unknown, p: string, callback: (granted: boolean) => void) => void
    const callback = vi.fn()
    handler(null, 'media', callback)
    expect(callback).toHaveBeenCalledWith(false)
    expect((session.setPermissionCheckHandler.mock.calls[0]![0] as () => boolean)()).toBe(false)
  })

  it('replaces a policy header in any spelling', () => {
    expect(withContentSecurityPolicy({ 'CONTENT-SECURITY-POLICY': ['a'], 'Content-Security-Policy': ['b'] }, 'c')).toEqual({ 'Content-Security-Policy': ['c'] })
    expect(withContentSecurityPolicy(undefined, 'c')).toEqual({ 'Content-Security-Policy': ['c'] })
  })
})

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { devServerContentSecurityPolicy, pageWithStyleNonce, rendererContentSecurityPolicy, styleNoncePlaceholder } from '../../../src/shared/contract/security'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const nonce = Buffer.alloc(16, 7).toString('base64')

function directive(policy: string, name: string): string | undefined {
  return policy.split('; ').find((part) => part.startsWith(`${name} `))
}

describe('the renderer’s Content-Security-Policy', () => {
  it('admits no inline style but the page’s own nonce, and keeps scripts strict', () => {
    expect(directive(rendererContentSecurityPolicy(nonce), 'style-src')).toBe(`style-src 'self' 'nonce-${nonce}'`)
    expect(directive(rendererContentSecurityPolicy(), 'style-src')).toBe("style-src 'self'")
    for (const policy of [rendererContentSecurityPolicy(nonce), rendererContentSecurityPolicy()]) {
      expect(policy).not.toContain('unsafe-inline')
      expect(policy).not.toContain('unsafe-eval')
      expect(directive(policy, 'script-src')).toBe("script-src 'self'")
      expect(directive(policy, 'frame-ancestors')).toBe("frame-ancestors 'none'")
    }
  })

  it('refuses a nonce that is not base64 of 16 bytes or more (it goes into a header and an attribute)', () => {
    expect(() => rendererContentSecurityPolicy('short')).toThrow()
    expect(() => rendererContentSecurityPolicy(`${nonce}" onload="x`)).toThrow()
    expect(() => rendererContentSecurityPolicy(`${nonce}; style-src *`)).toThrow()
  })

  it('keeps inline styles only for the dev server, which serves a page without a nonce', () => {
    expect(directive(devServerContentSecurityPolicy, 'style-src')).toBe("style-src 'self' 'unsafe-inline'")
    expect(directive(devServerContentSecurityPolicy, 'script-src')).toBe("script-src 'self'")
  })

  it('fills the nonce into the page and puts the same one in the policy', () => {
    const page = pageWithStyleNonce(`<head>${styleNoncePlaceholder}</head>`, nonce)
    expect(page.html).toBe(`<head><meta property="csp-nonce" nonce="${nonce}" /></head>`)
    expect(page.contentSecurityPolicy).toBe(rendererContentSecurityPolicy(nonce))
  })

  it('index.html has the placeholder once and no policy of its own that could keep inline styles', () => {
    const html = fs.readFileSync(path.join(root, 'src', 'renderer', 'index.html'), 'utf8')
    expect(html.split(styleNoncePlaceholder)).toHaveLength(2)
    expect(html).not.toMatch(/http-equiv="?Content-Security-Policy/i)
    expect(html).not.toContain('unsafe-inline')
  })
})

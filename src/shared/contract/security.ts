/**
 * The Content-Security-Policy of the renderer in both hosts: scripts only from the app itself, no
 * eval, no remote anything, and no inline styles but those carrying the nonce of the response that
 * served the page.
 *
 * Why a nonce (docs/ARCHITECTURE.md, "Security of the desktop host"): xterm.js 6 (the run's
 * terminal) creates three <style> elements whose text it computes at run time (theme, font, cell
 * size, a per-terminal selector), so no hash can admit them, and it has no nonce option. Each host
 * fills a fresh nonce into index.html and into that response's header; the renderer stamps it on
 * the <style> elements xterm creates, and only while xterm creates them (styled-by-nonce.ts). React
 * style props and uPlot go through the CSSOM, which CSP does not block.
 */

/** Where index.html carries the nonce: the renderer reads the element's `nonce` property. */
export const styleNonceMetaSelector = 'meta[property="csp-nonce"]'

/**
 * The placeholder in src/renderer/index.html a host fills. A `nonce` attribute (not `content`) so
 * that Chromium hides it from the DOM once the page is parsed under a header-delivered policy
 * ("nonce hiding"): CSS attribute selectors cannot read it back out.
 */
export const styleNoncePlaceholder = '<meta property="csp-nonce" nonce="" />'

/** What a host's nonce must look like (base64 of 16 random bytes); anything else could break out of the attribute. */
const nonceShape = /^[A-Za-z0-9+/]{22,}={0,2}$/

function policy(styleSources: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src ${styleSources}`,
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
}

/**
 * The policy for one response. With the nonce a host put into that response's index.html, the
 * page's own <style> elements stamped with it apply; without one (every response that is not the
 * page: scripts, JSON, error pages) no inline style does.
 */
export function rendererContentSecurityPolicy(styleNonce?: string): string {
  if (styleNonce === undefined) return policy("'self'")
  if (!nonceShape.test(styleNonce)) throw new Error('A style nonce is base64 of at least 16 random bytes.')
  return policy(`'self' 'nonce-${styleNonce}'`)
}

/**
 * The policy of electron-vite's dev server (development only, never a built app). Vite injects
 * every imported stylesheet as a <style> element and serves index.html itself, so nothing fills a
 * nonce there: styles stay inline-allowed in that one case, and the renderer stamps nothing when
 * the page has no nonce.
 */
export const devServerContentSecurityPolicy = policy("'self' 'unsafe-inline'")

/**
 * index.html as a host serves it: `styleNonce` (fresh per response) filled into the placeholder,
 * and the policy for that response's header, which admits exactly that nonce. A page without the
 * placeholder is served as it is; its terminal's styles are then refused, which the e2e spec
 * 25-styles-csp would show.
 */
export function pageWithStyleNonce(html: string, styleNonce: string): { html: string; contentSecurityPolicy: string } {
  const contentSecurityPolicy = rendererContentSecurityPolicy(styleNonce)
  return { html: html.replace(styleNoncePlaceholder, `<meta property="csp-nonce" nonce="${styleNonce}" />`), contentSecurityPolicy }
}

import { styleNonceMetaSelector } from '../../../shared/contract/security'

const htmlNamespace = 'http://www.w3.org/1999/xhtml'

/** The style nonce the host wrote into this page, or null where none was (electron-vite's dev server). */
export function pageStyleNonce(doc: Pick<Document, 'querySelector'> = document): string | null {
  const meta = doc.querySelector<HTMLMetaElement>(styleNonceMetaSelector)
  // Chromium hides the attribute once the page is parsed (it reads ""), the property keeps the value.
  const nonce = meta?.nonce || meta?.getAttribute('nonce') || ''
  return nonce === '' ? null : nonce
}

/**
 * Runs `build` with every <style> element that `doc.createElement` makes during it stamped with
 * `nonce` before anyone can insert it; restores `createElement` afterwards, also when `build`
 * throws.
 *
 * Why: the renderer's CSP admits no inline style without the page's nonce (security.ts), and
 * xterm.js 6 creates three <style> elements (the viewport's scrollbar colours, the DOM renderer's
 * theme and cell-size rules) with text computed at run time and no nonce option. It inserts each
 * one and sets its text in the same task, so a nonce set afterwards (a MutationObserver) comes too
 * late: the element has already been refused. All three are made synchronously inside
 * `terminal.open()` (Viewport and DomRenderer are built there, and only there, in @xterm/xterm
 * 6.0.0; later theme, font and size changes rewrite the same elements). So only that call is
 * wrapped: the nonce goes to the styles xterm makes while it opens, not to every script that ever
 * makes a <style>, and `document.createElement` is the browser's own again right after.
 *
 * Without a nonce (no host filled one: the dev server, whose policy allows inline styles) it just
 * runs `build`.
 */
export function withStyleNonce<T>(doc: Document, nonce: string | null, build: () => T): T {
  if (nonce === null) return build()
  const ownProperty = Object.getOwnPropertyDescriptor(doc, 'createElement')
  const createElement = doc.createElement
  const stamping = function (this: Document, ...args: Parameters<Document['createElement']>): HTMLElement {
    const element = createElement.apply(this, args)
    if (element.localName === 'style' && element.namespaceURI === htmlNamespace) element.setAttribute('nonce', nonce)
    return element
  }
  Object.defineProperty(doc, 'createElement', { value: stamping, configurable: true, writable: true, enumerable: false })
  try {
    return build()
  } finally {
    if (ownProperty) Object.defineProperty(doc, 'createElement', ownProperty)
    else delete (doc as { createElement?: unknown }).createElement
  }
}

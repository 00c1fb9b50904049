import { describe, expect, it } from 'vitest'
import { pageStyleNonce, withStyleNonce } from '../../../../src/renderer/features/train/styled-by-nonce'

const htmlNamespace = 'http://www.w3.org/1999/xhtml'

/** Just enough of an element and a document (the tests run in Node, without a DOM). */
class FakeElement {
  readonly attributes = new Map<string, string>()
  constructor(
    readonly localName: string,
    readonly namespaceURI: string = htmlNamespace
  ) {}
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, value)
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null
  }
}

class FakeDocument {
  createElement(tagName: string): FakeElement {
    return new FakeElement(tagName.toLowerCase())
  }
}

const asDocument = (doc: FakeDocument) => doc as unknown as Document

describe('withStyleNonce', () => {
  it('stamps the <style> elements made while it runs, and only those', () => {
    const doc = new FakeDocument()
    const made = withStyleNonce(asDocument(doc), 'bm9uY2Vub25jZW5vbmNlbm9uY2U=', () => [doc.createElement('style'), doc.createElement('div'), doc.createElement('STYLE')])
    expect(made.map((element) => element.getAttribute('nonce'))).toEqual(['bm9uY2Vub25jZW5vbmNlbm9uY2U=', null, 'bm9uY2Vub25jZW5vbmNlbm9uY2U='])
    expect(doc.createElement('style').getAttribute('nonce')).toBeNull()
  })

  it('restores the document’s own createElement afterwards, also when the callback throws', () => {
    const doc = new FakeDocument()
    const original = doc.createElement
    expect(() =>
      withStyleNonce(asDocument(doc), 'bm9uY2Vub25jZW5vbmNlbm9uY2U=', () => {
        expect(doc.createElement).not.toBe(original)
        throw new Error('open failed')
      })
    ).toThrow('open failed')
    expect(doc.createElement).toBe(original)
    expect(Object.getOwnPropertyDescriptor(doc, 'createElement')).toBeUndefined()
  })

  it('puts back an own createElement that was there before', () => {
    const doc = new FakeDocument()
    const own = (tagName: string) => new FakeElement(tagName)
    Object.defineProperty(doc, 'createElement', { value: own, configurable: true, writable: true })
    withStyleNonce(asDocument(doc), 'bm9uY2Vub25jZW5vbmNlbm9uY2U=', () => doc.createElement('style'))
    expect(doc.createElement).toBe(own)
  })

  it('leaves a <style> in another namespace alone (an SVG one)', () => {
    const doc = new FakeDocument()
    doc.createElement = (tagName: string) => new FakeElement(tagName, 'http://www.w3.org/2000/svg')
    const made = withStyleNonce(asDocument(doc), 'bm9uY2Vub25jZW5vbmNlbm9uY2U=', () => doc.createElement('style'))
    expect(made.getAttribute('nonce')).toBeNull()
  })

  it('without a nonce just runs the callback', () => {
    const doc = new FakeDocument()
    const original = doc.createElement
    const made = withStyleNonce(asDocument(doc), null, () => {
      expect(doc.createElement).toBe(original)
      return doc.createElement('style')
    })
    expect(made.getAttribute('nonce')).toBeNull()
  })
})

describe('pageStyleNonce', () => {
  const page = (meta: Partial<HTMLMetaElement> | null) => ({ querySelector: () => meta }) as unknown as Pick<Document, 'querySelector'>

  it('reads the nonce property (Chromium hides the attribute), or the attribute', () => {
    expect(pageStyleNonce(page({ nonce: 'abc', getAttribute: () => '' }))).toBe('abc')
    expect(pageStyleNonce(page({ nonce: '', getAttribute: () => 'def' }))).toBe('def')
  })

  it('is null where the host filled none (the dev server) or the page has no placeholder', () => {
    expect(pageStyleNonce(page({ nonce: '', getAttribute: () => '' }))).toBeNull()
    expect(pageStyleNonce(page(null))).toBeNull()
  })
})

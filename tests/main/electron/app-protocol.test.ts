import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appIndexUrl, isAppUrl, resolveAppRequest } from '../../../src/main/electron/app-protocol'
import { installNavigationGuards, type NavigationEvent } from '../../../src/main/electron/navigation-guards'
import { makeTempHome } from '../../helpers/temp-home'

describe('the app:// protocol of the desktop window', () => {
  let home: string
  let cleanup: () => void
  let rendererDir: string

  beforeEach(() => {
    const temp = makeTempHome()
    home = temp.home
    cleanup = temp.cleanup
    rendererDir = path.join(home, 'renderer')
    fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true })
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html>')
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'export {}')
    fs.writeFileSync(path.join(home, 'localtune.db'), 'secret')
  })
  afterEach(() => cleanup())

  it('serves the built renderer and its assets', () => {
    expect(resolveAppRequest(rendererDir, appIndexUrl)).toMatchObject({ status: 200, file: path.join(rendererDir, 'index.html'), contentType: 'text/html; charset=utf-8' })
    expect(resolveAppRequest(rendererDir, 'app://localtune/assets/app.js')).toMatchObject({ status: 200, contentType: 'text/javascript; charset=utf-8' })
  })

  it('serves nothing outside it, for no other host, and answers malformed paths with 400', () => {
    expect(resolveAppRequest(rendererDir, 'app://localtune/..%2flocaltune.db').status).toBe(404)
    expect(resolveAppRequest(rendererDir, 'app://localtune/../localtune.db').status).toBe(404)
    expect(resolveAppRequest(rendererDir, 'app://elsewhere/index.html').status).toBe(404)
    expect(resolveAppRequest(rendererDir, 'app://localtune/%E0%A4%A.js').status).toBe(400)
    expect(resolveAppRequest(rendererDir, 'not a url').status).toBe(400)
  })
})

describe('which URLs are the app', () => {
  it('is app://localtune, or exactly the dev server’s origin', () => {
    expect(isAppUrl('app://localtune/index.html')).toBe(true)
    expect(isAppUrl('app://localtune/index.html#/train')).toBe(true)
    expect(isAppUrl('app://other/index.html')).toBe(false)
    expect(isAppUrl('app://user@localtune/index.html')).toBe(false)
    expect(isAppUrl('file:///home/me/index.html')).toBe(false)
    const dev = 'http://localhost:5173'
    expect(isAppUrl('http://localhost:5173/#/data', dev)).toBe(true)
    // A prefix match let these through.
    expect(isAppUrl('http://localhost:5173.evil.example/', dev)).toBe(false)
    expect(isAppUrl('http://localhost:51730/', dev)).toBe(false)
    expect(isAppUrl('http://localhost:5173@evil.example/', dev)).toBe(false)
    expect(isAppUrl('https://localhost:5173/', dev)).toBe(false)
  })
})

describe('navigation guards', () => {
  function guarded(): { contents: EventEmitter; blocked: string[] } {
    const contents = new EventEmitter()
    const blocked: string[] = []
    installNavigationGuards(contents, (url) => isAppUrl(url), (url) => blocked.push(url))
    return { contents, blocked }
  }
  function navigation(url?: string): NavigationEvent & { prevented: boolean } {
    const event = { url, prevented: false, preventDefault: () => (event.prevented = true) }
    return event
  }

  it('stops navigations, redirects and frame navigations away from the app', () => {
    const { contents, blocked } = guarded()
    const redirect = navigation('https://evil.example/')
    contents.emit('will-redirect', redirect)
    const frame = navigation('https://evil.example/frame')
    contents.emit('will-frame-navigate', frame)
    const link = navigation()
    contents.emit('will-navigate', link, 'https://evil.example/link')
    expect([redirect.prevented, frame.prevented, link.prevented]).toEqual([true, true, true])
    expect(blocked).toEqual(['https://evil.example/', 'https://evil.example/frame', 'https://evil.example/link'])
  })

  it('lets the app move within itself', () => {
    const { contents, blocked } = guarded()
    const inside = navigation('app://localtune/index.html#/history')
    contents.emit('will-navigate', inside)
    contents.emit('will-redirect', inside)
    contents.emit('will-frame-navigate', inside)
    expect(inside.prevented).toBe(false)
    expect(blocked).toEqual([])
  })
})

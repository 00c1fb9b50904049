/**
 * Navigation in the desktop window stays on the app's own page. `will-navigate` alone misses
 * server redirects (`will-redirect`) and navigations of subframes (`will-frame-navigate`), so all
 * three are guarded. Kept free of Electron imports so the policy is unit-tested in plain Node.
 */

/** The part of Electron's WebContents the guards use. */
export interface NavigationSource {
  on(event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate', listener: (event: NavigationEvent, url?: string) => void): unknown
}

/** Electron passes the URL on the event (details objects, Electron ≥ 25) or as the second argument. */
export interface NavigationEvent {
  preventDefault(): void
  url?: string
}

export const guardedNavigationEvents = ['will-navigate', 'will-redirect', 'will-frame-navigate'] as const

/** Stops every navigation, redirect and frame navigation whose target is not the app itself. */
export function installNavigationGuards(contents: NavigationSource, isAppUrl: (url: string) => boolean, onBlocked: (url: string) => void = () => {}): void {
  for (const name of guardedNavigationEvents) {
    contents.on(name, (event, url) => {
      const target = event.url ?? url ?? ''
      if (isAppUrl(target)) return
      event.preventDefault()
      onBlocked(target)
    })
  }
}

import type { ReactNode } from 'react'
import type { Screen } from '../stores/navigation-store'

/**
 * Which component draws each screen. Features register here; a screen without an entry is not
 * shown in the navigation at all (nothing unfinished is offered to the user).
 */
export interface ScreenEntry {
  render(): ReactNode
  /**
   * Whether the screen can be opened now, and if not, why (shown as the tooltip). A hook: the
   * navigation calls it on every render of the screen's button, so it may select from stores
   * and the button updates the moment what it depends on changes (e.g. a model is chosen).
   */
  useAvailability(): { open: true } | { open: false; reason: string }
}

export const screenRegistry: Partial<Record<Screen, ScreenEntry>> = {}

export function registerScreen(screen: Screen, entry: ScreenEntry): void {
  screenRegistry[screen] = entry
}

import { expect, test } from '../fixtures/app'
import { DemoPanel } from '../pages/demo-panel'
import { TrainPage } from '../pages/train-page'

/** What the page records of each securitypolicyviolation event (an init script, so from the first byte on). */
type Recorded = { cspViolations: Array<{ directive: string; sample: string; blocked: string; source: string }> }

/**
 * style-src has no 'unsafe-inline': the run's terminal (xterm.js, which makes its own <style>
 * elements) is styled through the page's per-response nonce, nothing in the app breaks the policy,
 * and a style injected as markup is refused.
 */
test('the terminal is styled through the page’s nonce, nothing violates the CSP, and injected styles are refused', async ({ app }) => {
  test.setTimeout(90_000)
  const page = app.page
  const consoleErrors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) consoleErrors.push(message.text())
  })
  await page.addInitScript(() => {
    const recorded = window as unknown as Recorded
    recorded.cspViolations = []
    window.addEventListener('securitypolicyviolation', (event) => recorded.cspViolations.push({ directive: event.effectiveDirective, sample: event.sample, blocked: event.blockedURI, source: `${event.sourceFile}:${event.lineNumber}:${event.columnNumber}` }), true)
  })
  // The fixture loaded the page before the listener existed: load it again with it.
  const response = await page.reload()
  const policy = (await response?.allHeaders())?.['content-security-policy'] ?? ''
  expect(policy).not.toContain('unsafe-inline')
  const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/]{22}==)'/.exec(policy)?.[1]
  expect(nonce, policy).toBeTruthy()

  await new DemoPanel(page).startDemo(200)
  const train = new TrainPage(page)
  await expect(train.terminal).toBeVisible()
  await train.terminal.scrollIntoViewIfNeeded()
  // Something printed: its rows are spans the cell-size rule applies to.
  await expect(train.terminal.locator('.xterm-rows')).toContainText(/\S/, { timeout: 60_000 })

  // xterm's three <style> elements (scrollbar colours, theme, cell size) carry this response's nonce;
  // Chromium hides the attribute (it reads "") and keeps the value in the property.
  const styles = await train.terminal.locator('style').evaluateAll((elements) => elements.map((element) => ({ nonce: (element as HTMLStyleElement).nonce, attribute: element.getAttribute('nonce'), rules: (element as HTMLStyleElement).sheet?.cssRules.length ?? -1 })))
  expect(styles).toHaveLength(3)
  for (const style of styles) {
    expect(style.nonce).toBe(nonce)
    expect(style.attribute).toBe('')
    expect(style.rules).toBeGreaterThan(0)
  }
  // ... and their rules apply: the theme rule (12 px, no kerning), the cell-size rule (inline-block
  // spans) and the scrollbar colours (xterm.css gives the slider no background of its own).
  const applied = await train.terminal.evaluate((terminal) => {
    const rows = terminal.querySelector('.xterm-rows')!
    const span = rows.querySelector('span')!
    const slider = terminal.querySelector('.xterm-scrollable-element > .scrollbar > .slider')
    return {
      fontSize: getComputedStyle(rows).fontSize,
      fontKerning: getComputedStyle(rows).fontKerning,
      spanDisplay: getComputedStyle(span).display,
      sliderBackground: slider ? getComputedStyle(slider).backgroundColor : 'no slider'
    }
  })
  expect(applied).toMatchObject({ fontSize: '12px', fontKerning: 'none', spanDisplay: 'inline-block' })
  expect(applied.sliderBackground).toMatch(/^rgba?\(/)
  expect(applied.sliderBackground).not.toBe('rgba(0, 0, 0, 0)')

  // Nothing broke the policy: no report at all (zod's eval probe is off, src/renderer/zod-without-eval.ts).
  const violations = () => page.evaluate(() => (window as unknown as Recorded).cspViolations)
  expect(await violations()).toEqual([])
  expect(consoleErrors).toEqual([])

  // The policy bites: styles injected as markup (even one guessing at a nonce, or a style
  // attribute) do not apply, and are reported.
  const injected = await page.evaluate(() => {
    document.body.insertAdjacentHTML(
      'beforeend',
      '<style>body { outline: 7px solid rgb(255, 0, 0) }</style><style nonce="guessed">body { outline-offset: 9px }</style><div id="injected" style="width: 123px"></div>'
    )
    return { outline: getComputedStyle(document.body).outlineWidth, offset: getComputedStyle(document.body).outlineOffset, width: getComputedStyle(document.getElementById('injected')!).width }
  })
  expect(injected.outline).not.toBe('7px')
  expect(injected.offset).not.toBe('9px')
  expect(injected.width).not.toBe('123px')
  await expect
    .poll(async () => (await violations()).map((violation) => violation.directive).sort())
    .toEqual(['style-src-attr', 'style-src-elem', 'style-src-elem'])
})

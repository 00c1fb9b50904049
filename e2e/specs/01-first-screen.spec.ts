import { expect, screenshotForReadme, test } from '../fixtures/app'
import { MachinePage } from '../pages/machine-page'

test('the first screen shows the machine as the core sees it', async ({ app }) => {
  const machine = new MachinePage(app.page)
  await expect(machine.checks).toBeVisible()
  // Each row is a live fact from the core: Python through node-pty, SQLite, GPUs.
  await expect(machine.check('database')).toContainText('localtune.db')
  await expect(machine.check('database')).toContainText('wal')
  await expect(machine.check('python')).toContainText(/torch|Python|runtime/i)
  await expect(machine.check('gpus')).toBeVisible()
  await expect(machine.check('home')).toContainText(app.home)
  await screenshotForReadme(app.page, '01-first-screen')
})

test('the browser host refuses requests without the token', async ({ app }) => {
  test.skip(app.host !== 'browser', 'token applies to the browser host only')
  const origin = new URL(app.page.url()).origin
  const response = await fetch(`${origin}/api/system.doctor`, { method: 'POST', body: '{}' })
  expect(response.status).toBe(401)
})

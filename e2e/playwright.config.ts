import { defineConfig } from '@playwright/test'
import { electronAvailable } from './fixtures/electron-availability'

const electron = electronAvailable()
if (!electron.available) console.log(`skipped: no Electron binary (${electron.reason}); the same specs run against the browser host only`)

export default defineConfig({
  testDir: './specs',
  outputDir: '../test-results/e2e',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json']],
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
  projects: [
    { name: 'browser-host', metadata: { host: 'browser' } },
    ...(electron.available ? [{ name: 'electron', metadata: { host: 'electron' } }] : [])
  ]
})

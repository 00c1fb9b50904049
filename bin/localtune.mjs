#!/usr/bin/env node
// The `localtune` command. The CLI is compiled with the app (npm install runs the build), so a
// missing build is the one thing to explain here.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const entry = new URL('../out/main/cli.js', import.meta.url)
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  console.error(`LocalTune is not built yet: run \`npm run build\` in ${root}, then try again.`)
  process.exit(1)
}
const { main } = await import(entry.href)
await main()

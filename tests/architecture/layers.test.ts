import { ESLint } from 'eslint'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '..', '..')
const eslint = new ESLint({ cwd: root })

async function lintAs(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) })
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message)
}

describe('layer rules', () => {
  it('fails a renderer file that imports core code', async () => {
    const messages = await lintAs('src/renderer/features/x.ts', "import { createCore } from '../../main/core/create-core'\nexport const x = createCore\n")
    expect(messages).toEqual([expect.stringContaining('only speaks the contract')])
  })

  it('fails a renderer file that imports node or electron', async () => {
    expect(await lintAs('src/renderer/x.ts', "import fs from 'node:fs'\nexport const x = fs\n")).toHaveLength(1)
    expect(await lintAs('src/renderer/x.ts', "import { ipcRenderer } from 'electron'\nexport const x = ipcRenderer\n")).toHaveLength(1)
  })

  it('fails a shared file that imports node:fs or electron', async () => {
    expect(await lintAs('src/shared/x.ts', "import fs from 'node:fs'\nexport const x = fs\n")).toEqual([expect.stringContaining('pure TypeScript')])
    expect(await lintAs('src/shared/x.ts', "import { app } from 'electron'\nexport const x = app\n")).toHaveLength(1)
  })

  it('fails core code that imports electron, and hosts that import native modules', async () => {
    expect(await lintAs('src/main/core/x.ts', "import { app } from 'electron'\nexport const x = app\n")).toEqual([expect.stringContaining('Only the Electron host')])
    expect(await lintAs('src/main/cli/x.ts', "import Database from 'better-sqlite3'\nexport const x = Database\n")).toEqual([expect.stringContaining('inside src/main/core')])
  })

  it('allows what each layer may use', async () => {
    expect(await lintAs('src/main/core/x.ts', "import Database from 'better-sqlite3'\nexport const x = Database\n")).toEqual([])
    expect(await lintAs('src/renderer/x.ts', "import { channels } from '../shared/contract'\nexport const x = channels\n")).toEqual([])
    expect(await lintAs('src/main/electron/x.ts', "import { app } from 'electron'\nexport const x = app\n")).toEqual([])
  })
})

describe('shared code type-checks without Node or DOM globals', () => {
  it('has a tsconfig with no node types and no DOM lib', async () => {
    const { readFileSync } = await import('node:fs')
    const config = JSON.parse(readFileSync(path.join(root, 'tsconfig.shared.json'), 'utf8'))
    expect(config.compilerOptions.types).toEqual([])
    expect(config.compilerOptions.lib).toEqual(['ES2022'])
  })
})

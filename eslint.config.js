// Lint enforces the layers of docs/ARCHITECTURE.md: what each folder may import.
import tseslint from 'typescript-eslint'
import globals from 'globals'

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'crypto', 'url', 'util', 'stream', 'http', 'https', 'net', 'worker_threads', 'events']
const nativeModules = ['better-sqlite3', 'node-pty', 'systeminformation']

function restrict(patterns, message) {
  return { group: patterns, message }
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'python-runtime/**', 'test-results/**', 'docs/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports (docs/ARCHITECTURE.md: no default exports).' }]
    }
  },
  {
    files: ['src/shared/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict([...nodeBuiltins, ...nativeModules, 'electron', 'react', 'react-dom', 'zustand'], 'src/shared is pure TypeScript: no Node, no Electron, no DOM, no UI.'),
        restrict(['**/main/**', '**/renderer/**', '**/preload/**', '../main', '../renderer', '../preload'], 'src/shared imports nothing from the other layers.')
      ] }]
    }
  },
  {
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict([...nodeBuiltins, ...nativeModules, 'electron'], 'The renderer is sandboxed: it has no Node and no Electron; ask the core through the contract (src/renderer/api).'),
        restrict(['**/main/**', '**/preload/**'], 'The renderer only speaks the contract: never import core or host code; use src/renderer/api.')
      ] }]
    }
  },
  {
    files: ['src/main/core/**/*.ts', 'src/main/cli/**/*.ts', 'src/main/browser-host/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict(['electron'], 'Only the Electron host (src/main/electron) and the preload import electron; core, CLI and browser host run in plain Node.'),
        restrict(['**/renderer/**'], 'Main-process code never imports renderer code.')
      ] }]
    }
  },
  {
    files: ['src/main/cli/**/*.ts', 'src/main/browser-host/**/*.ts', 'src/main/electron/**/*.ts', 'src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict(nativeModules, 'Native modules (better-sqlite3, node-pty, systeminformation) live inside src/main/core only; hosts call core services.'),
        restrict(['**/renderer/**'], 'Main-process code never imports renderer code.')
      ] }]
    }
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict(nativeModules, 'The preload is tiny: it exposes declared channels only.'),
        restrict(['**/main/**', '**/renderer/**'], 'The preload imports only src/shared.')
      ] }]
    }
  },
  {
    files: ['*.config.ts', '*.config.js', '**/playwright.config.ts'],
    rules: { 'no-restricted-syntax': 'off' }
  }
)

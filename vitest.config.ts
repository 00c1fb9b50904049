import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    environment: 'node',
    // Many tests train a real model in a real runtime process; on CI's 2 cores, with two test
    // files at a time, a demo run's few steps can take most of a minute.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one file at a time on CI's 2 cores.
    // Most files wait on a runtime process, pip or a pty, so two at a time keeps both cores busy.
    maxWorkers: 2
  }
})

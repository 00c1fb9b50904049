import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

// Three builds from one config: the main process (Electron host + the CLI/browser host, which
// share the core), the sandboxed preload (CommonJS: sandboxed preloads cannot load ES modules),
// and the renderer that both hosts serve.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          'electron-main': resolve(__dirname, 'src/main/electron/main.ts'),
          cli: resolve(__dirname, 'src/main/cli/main.ts'),
          // Loaded with `new Worker(new URL('./token-stats-worker.js', import.meta.url))` from a
          // chunk, so chunks and this entry share one folder.
          'token-stats-worker': resolve(__dirname, 'src/main/core/tokens/token-stats-worker.ts'),
          // Model folders are read off the request path (model-catalog-off-thread.ts), the same way.
          'model-catalog-worker': resolve(__dirname, 'src/main/core/models/model-catalog-worker.ts'),
          // train.jsonl / valid.jsonl are escaped and written on a thread (example-file-writer.ts).
          'example-file-worker': resolve(__dirname, 'src/main/core/datasets/example-file-worker.ts'),
          // Forked by the export service (src/main/core/exports/llama-cpp-host.ts) beside the chunks.
          'llama-cpp-process': resolve(__dirname, 'src/main/core/exports/llama-cpp-process.ts')
        },
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' }
      }
    }
  },
  preload: {
    build: {
      // A sandboxed preload can require only 'electron': bundle everything else into it.
      externalizeDeps: { exclude: ['zod'] },
      outDir: 'out/preload',
      rollupOptions: {
        input: { preload: resolve(__dirname, 'src/preload/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') }
    }
  }
})

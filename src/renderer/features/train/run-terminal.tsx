import { useEffect, useRef } from 'react'
import { Terminal, type ITheme } from '@xterm/xterm'
import { FitAddon } from '@xterm/addon-fit'
import '@xterm/xterm/css/xterm.css'
import type { EventPayloadOf } from '../../../shared/contract'
import { invoke, onEventsReconnected, subscribe } from '../../api/client'
import { pageStyleNonce, withStyleNonce } from './styled-by-nonce'
import { outputAfterTail } from './terminal-overlap'

const themeQuery = '(prefers-color-scheme: dark)'

function terminalTheme(): ITheme {
  const style = getComputedStyle(document.documentElement)
  const color = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback
  return { background: color('--code-bg', '#1f242c'), foreground: color('--text', '#e6e9ee'), cursor: color('--code-bg', '#1f242c') }
}

/**
 * The runtime's own terminal (tqdm bars and all) in xterm.js. Opened mid-run it first shows the
 * end of output.log, then appends the live `run.output` pushes; its size follows the panel and
 * is passed to the run's pty, so the runtime draws its bars for the width the user sees.
 */
export function RunTerminal({ runId }: { runId: string }) {
  const host = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const element = host.current
    if (!element) return
    const terminal = new Terminal({ disableStdin: true, cursorBlink: false, scrollback: 5000, fontSize: 12, theme: terminalTheme(), convertEol: false })
    const fit = new FitAddon()
    terminal.loadAddon(fit)
    // xterm makes its <style> elements here: they get the page's CSP nonce (styled-by-nonce.ts).
    withStyleNonce(element.ownerDocument, pageStyleNonce(element.ownerDocument), () => terminal.open(element))
    let disposed = false
    let tailShown = false
    let pending = ''

    const unsubscribe = subscribe((event, payload) => {
      if (event !== 'run.output') return
      const output = payload as EventPayloadOf<'run.output'>
      if (output.runId !== runId) return
      if (tailShown) terminal.write(output.data)
      else pending += output.data
    })
    const showTail = () => {
      tailShown = false
      pending = ''
      invoke('runs.output-tail', { runId })
        .then(({ data, truncated }) => {
          if (disposed) return
          terminal.reset()
          if (truncated) terminal.write('\x1b[2m[earlier output is in output.log in the run folder]\x1b[0m\r\n')
          terminal.write(data)
          terminal.write(outputAfterTail(data, pending))
        })
        .catch((error: unknown) => {
          if (!disposed) terminal.write(`\r\n[the output could not be read: ${error instanceof Error ? error.message : String(error)}]\r\n${pending}`)
        })
        .finally(() => {
          tailShown = true
          pending = ''
        })
    }
    showTail()
    // Output pushed while the event stream was down is lost; the log has it, so read it again.
    const stopReconnectWatch = onEventsReconnected(showTail)

    let resizeTimer: ReturnType<typeof setTimeout> | undefined
    const fitToPanel = () => {
      if (element.clientWidth === 0) return
      fit.fit()
      clearTimeout(resizeTimer)
      // Dragging a window edge fires many resizes: tell the pty the size it settles on.
      resizeTimer = setTimeout(() => {
        void invoke('runs.resize-terminal', { runId, cols: Math.max(10, terminal.cols), rows: Math.max(2, terminal.rows) }).catch(() => {})
      }, 150)
    }
    const observer = new ResizeObserver(fitToPanel)
    observer.observe(element)
    fitToPanel()

    const query = window.matchMedia(themeQuery)
    const themeChanged = () => {
      terminal.options.theme = terminalTheme()
    }
    query.addEventListener('change', themeChanged)

    return () => {
      disposed = true
      clearTimeout(resizeTimer)
      query.removeEventListener('change', themeChanged)
      observer.disconnect()
      unsubscribe()
      stopReconnectWatch()
      terminal.dispose()
    }
  }, [runId])

  return <div ref={host} className="run-terminal" data-testid="run-terminal" role="region" aria-label="Training output (the runtime's terminal)" />
}

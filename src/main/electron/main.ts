import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell, type IpcMainInvokeEvent } from 'electron'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { appIndexUrl, appScheme, isAppUrl as isAppPage, resolveAppRequest } from './app-protocol'
import { channelNames, devServerContentSecurityPolicy, pageWithStyleNonce, rendererContentSecurityPolicy } from '../../shared/contract'
import { dispatchContractCall } from '../core/contract-dispatch'
import { findAppRoot } from '../core/app-root'
import { createCore } from '../core/create-core'
import { findElectronSqliteBinding } from '../core/electron-native-modules'
import { lockDownSession, lockDownWindow } from './window-security'

const here = path.dirname(fileURLToPath(import.meta.url))
const rendererDir = path.join(here, '..', 'renderer')
const devServerUrl = process.env.ELECTRON_RENDERER_URL

function isAppUrl(url: string): boolean {
  return isAppPage(url, devServerUrl)
}

// The app is served from app://localtune (see app-protocol.ts), not file://. Registered before
// ready, as Electron requires; "standard" and "secure" give it a real origin with fetch and CSP.
protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } }])

/** Only our own page, in our own window, may call the contract. */
function senderIsTrusted(event: IpcMainInvokeEvent, windows: Set<number>): boolean {
  const frame = event.senderFrame
  return frame !== null && windows.has(event.sender.id) && isAppUrl(frame.url)
}

app.enableSandbox()

void app.whenReady().then(() => {
  // better-sqlite3 built for Electron's ABI, kept apart from the CLI's build in node_modules
  // (electron-native-modules.ts); `localtune start` makes it before it opens this window.
  const sqliteNativeBinding = findElectronSqliteBinding(findAppRoot(), process.versions.electron)
  if (!sqliteNativeBinding) {
    dialog.showErrorBox('LocalTune cannot open its database', `better-sqlite3 has not been built for Electron ${process.versions.electron} yet. Start LocalTune with \`npm start\` (localtune start), which builds it once.`)
    app.quit()
    return
  }
  // The desktop's own abilities, handed to the core (which never imports Electron): the folder
  // picker (host.pick-folder) and showing a folder in the file manager (runs.open-folder).
  const core = createCore({
    sqliteNativeBinding,
    desktop: {
      pickFolder: async (title) => {
        const parent = BrowserWindow.getFocusedWindow()
        const options = { title, properties: ['openDirectory' as const, 'createDirectory' as const] }
        const chosen = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options)
        return chosen.canceled ? null : (chosen.filePaths[0] ?? null)
      },
      openFolder: (folder) => shell.openPath(folder)
    }
  })
  const trustedWindows = new Set<number>()
  // app://localtune sets its own policy per response (below); every other response (only the dev
  // server's, in development) gets one from the session.
  lockDownSession(session.defaultSession, devServerUrl ? devServerContentSecurityPolicy : rendererContentSecurityPolicy(), (url) => isAppPage(url))
  protocol.handle(appScheme, async (request) => {
    const answer = resolveAppRequest(rendererDir, request.url)
    if (answer.status !== 200) return new Response(answer.message, { status: answer.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
    if (answer.file.endsWith('.html')) {
      // index.html: a style nonce fresh for this response, in the page and in its policy (security.ts).
      const page = pageWithStyleNonce(await fs.promises.readFile(answer.file, 'utf8'), randomBytes(16).toString('base64'))
      return new Response(page.html, {
        status: 200,
        headers: { 'Content-Type': answer.contentType, 'Content-Security-Policy': page.contentSecurityPolicy, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }
      })
    }
    const file = await net.fetch(pathToFileURL(answer.file).href)
    return new Response(file.body, {
      status: 200,
      headers: { 'Content-Type': answer.contentType, 'Content-Security-Policy': rendererContentSecurityPolicy(), 'X-Content-Type-Options': 'nosniff' }
    })
  })

  for (const channel of channelNames) {
    ipcMain.handle(`localtune:${channel}`, async (event, payload: unknown) => {
      if (!senderIsTrusted(event, trustedWindows)) {
        return { ok: false, error: { code: 'unauthorized', message: 'Calls are only accepted from the LocalTune window.', details: [] } }
      }
      return dispatchContractCall(core.handlers, channel, payload)
    })
  }

  core.events.subscribe((name, payload) => {
    for (const window of BrowserWindow.getAllWindows()) window.webContents.send('localtune:event', { event: name, payload })
  })

  const window = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 960,
    minHeight: 640,
    title: 'LocalTune',
    show: false,
    webPreferences: {
      preload: path.join(here, '..', 'preload', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false
    }
  })
  trustedWindows.add(window.webContents.id)
  lockDownWindow(window, isAppUrl)
  window.once('ready-to-show', () => window.show())
  void window.loadURL(devServerUrl ?? appIndexUrl)

  app.on('window-all-closed', () => {
    // Let running trainings finish their step and save a checkpoint before the app goes away.
    void core.runs.stopAll().finally(() => {
      core.close()
      app.quit()
    })
  })
})

import type { Envelope } from '../../../shared/contract'
import { desktopBridge } from '../../api/bridge'
import { sendAllowingOutsidePaths } from '../../app/outside-path-confirmation'
import { ContractCallError, invoke, subscribe } from '../../api/client'
import { datasetDraftActions, datasetDraftNow } from '../../stores/dataset-draft-store'
import { datasetIntakeActions, datasetIntakeNow, type IntakeError } from '../../stores/dataset-intake-store'
import { goToScreen } from '../../stores/navigation-store'
import type { MappingDraft } from './mapping-draft'

/** A step of getting a file in failed; the message says what to do. */
export class IntakeFailure extends Error {
  constructor(
    message: string,
    readonly details: string[] = []
  ) {
    super(message)
    this.name = 'IntakeFailure'
  }
}

export function intakeErrorOf(error: unknown): IntakeError {
  if (error instanceof IntakeFailure || error instanceof ContractCallError) return { message: error.message, details: error.details }
  return { message: error instanceof Error ? error.message : String(error), details: [] }
}

/** Browser mode: stream the file into <home>/uploads/ (the page has no path for it). */
async function uploadFile(file: File): Promise<string> {
  let response: Response
  try {
    response = await fetch(`/upload?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: file, credentials: 'same-origin' })
  } catch (error) {
    throw new IntakeFailure(`${file.name} could not be sent to LocalTune: ${(error as Error).message}. Check that \`localtune serve\` is still running, then choose the file again.`)
  }
  let envelope: Envelope<{ path: string }>
  try {
    envelope = (await response.json()) as Envelope<{ path: string }>
  } catch {
    throw new IntakeFailure(`LocalTune did not accept ${file.name} (HTTP ${response.status}). Choose the file again; if it keeps failing, restart \`localtune serve\`.`)
  }
  if (!envelope.ok) throw new IntakeFailure(`${file.name} could not be saved: ${envelope.error.message}`, envelope.error.details)
  return envelope.value.path
}

/**
 * Where the core can read the file: in the desktop app its real path (nothing is copied), in
 * browser mode a copy streamed into LocalTune's home folder.
 */
export async function readablePathFor(file: File): Promise<string> {
  const bridge = desktopBridge()
  if (!bridge) return uploadFile(file)
  const filePath = bridge.pathForFile(file)
  if (!filePath) {
    throw new IntakeFailure(
      `${file.name} has no place on disk LocalTune can read from (it was dragged from another app or an archive). Save it to a folder first, then choose it from there.`
    )
  }
  return filePath
}

/**
 * Reads a file in: the first rows at once (datasets.peek), the whole file alongside
 * (datasets.import, with progress), then it becomes the draft's dataset.
 */
export async function importCsv(sourcePath: string, hasHeader: boolean | undefined, keepMapping?: MappingDraft): Promise<void> {
  const intake = datasetIntakeActions()
  const importId = crypto.randomUUID()
  intake.importStarted(importId, sourcePath, hasHeader, keepMapping)
  datasetDraftActions().datasetCleared()
  const unsubscribe = subscribe((event, payload) => {
    if (event !== 'datasets.import-progress') return
    const progress = payload as { importId: string | null; bytesRead: number; totalBytes: number; rowsRead: number }
    if (progress.importId === importId) intake.importProgressed(importId, { bytesRead: progress.bytesRead, totalBytes: progress.totalBytes, rowsRead: progress.rowsRead })
  })
  const header = hasHeader === undefined ? {} : { hasHeader }
  try {
    // The preview answers in milliseconds, so the import waits for it: a file outside the user's
    // folders is asked about once (the preview's request), and the import is then sent with it allowed.
    const previewRefused = await sendAllowingOutsidePaths((confirmedPaths) => invoke('datasets.peek', { path: sourcePath, count: 50, ...header, confirmedPaths })).then(
      (preview) => {
        intake.previewReceived(importId, preview)
        return null
      },
      // Any other failure of the preview is not the file's last word, the import's is.
      (error: unknown) => (error instanceof ContractCallError && error.code === 'outside_user_folders' ? error : null)
    )
    if (previewRefused) throw previewRefused
    const imported = await sendAllowingOutsidePaths((confirmedPaths) => invoke('datasets.import', { path: sourcePath, importId, ...header, confirmedPaths }))
    intake.inspectionReceived(importId, imported.inspection)
    const layout = imported.inspection.layout
    if (imported.datasetId && layout && datasetIntakeNow().importId === importId) {
      datasetDraftActions().datasetImported({
        datasetId: imported.datasetId,
        sourcePath: imported.inspection.sourcePath,
        fileName: imported.inspection.fileName,
        rowCount: imported.inspection.rowCount,
        columns: layout.columns
      })
    }
  } catch (error) {
    intake.intakeFailed(importId, intakeErrorOf(error))
  } finally {
    unsubscribe()
  }
}

/** A file the user dropped or picked: bring it where the core can read it, then import it. */
export async function csvFileChosen(file: File, ignoredFiles: string[] = []): Promise<void> {
  const intake = datasetIntakeActions()
  intake.fileChosen({ name: file.name, sizeBytes: file.size }, ignoredFiles)
  datasetDraftActions().datasetCleared()
  let sourcePath: string
  try {
    sourcePath = await readablePathFor(file)
  } catch (error) {
    intake.intakeFailed(null, intakeErrorOf(error))
    return
  }
  intake.uploadFinished(sourcePath)
  await importCsv(sourcePath, undefined)
}

/** Files dropped on the window, on any screen: the Data screen opens and reads the first. */
export async function filesDropped(files: File[]): Promise<void> {
  const [first, ...rest] = files
  if (!first) return
  goToScreen('data')
  await csvFileChosen(
    first,
    rest.map((file) => file.name)
  )
}

/**
 * Whether the imported file is still what LocalTune read (the user may have edited it in a
 * spreadsheet meanwhile); a changed file is reported, never silently re-read.
 */
export async function sourceCheckRequested(): Promise<void> {
  const { importId, phase } = datasetIntakeNow()
  const dataset = datasetDraftNow().dataset
  if (!importId || phase !== 'ready' || !dataset) return
  try {
    const { sourceChange } = await invoke('datasets.get', { datasetId: dataset.datasetId })
    datasetIntakeActions().sourceChecked(importId, sourceChange.status === 'changed' ? sourceChange.message : null)
  } catch (error) {
    datasetIntakeActions().sourceChecked(importId, intakeErrorOf(error).message)
  }
}

/** Reads the same file again (after it changed), keeping the user's header choice. */
export async function sourceReimportRequested(): Promise<void> {
  const { sourcePath, hasHeader, mappingDraft } = datasetIntakeNow()
  if (sourcePath) await importCsv(sourcePath, hasHeader, mappingDraft)
}

/** "My file has no header": read the same file again with the user's answer. */
export async function headerChoiceChanged(hasHeader: boolean): Promise<void> {
  const sourcePath = datasetIntakeNow().sourcePath
  if (sourcePath) await importCsv(sourcePath, hasHeader)
}

import { create } from 'zustand'
import { parseOutsidePathDetail, type OutsidePath } from '../../shared/user-folders'
import { ContractCallError } from '../api/client'

/**
 * Paths outside the user's folders: the core refuses them unless the request says the user
 * allowed them (`confirmedPaths`). A service sends through sendAllowingOutsidePaths; when the
 * core refuses, the dialog (outside-path-dialog.tsx, mounted once in the shell) names each path
 * and what LocalTune would do there, and only Allow resends. An allowed path stays allowed for
 * this window's session, so an export's plan and start ask once.
 */
interface OutsidePathQuestionState {
  asking: readonly OutsidePath[] | null
  answer: ((allowed: boolean) => void) | null
  allowed: readonly string[]
}

const useOutsidePathStore = create<OutsidePathQuestionState>()(() => ({ asking: null, answer: null, allowed: [] }))

export const useOutsidePathQuestion = () => useOutsidePathStore((state) => state.asking)

export function outsidePathQuestionAnswered(allowed: boolean): void {
  const { asking, answer } = useOutsidePathStore.getState()
  if (allowed && asking) useOutsidePathStore.setState((state) => ({ allowed: [...state.allowed, ...asking.map((one) => one.path)].slice(-20) }))
  useOutsidePathStore.setState({ asking: null, answer: null })
  answer?.(allowed)
}

function ask(paths: readonly OutsidePath[]): Promise<boolean> {
  // A question still open (another screen's request) is answered "no" rather than lost.
  useOutsidePathStore.getState().answer?.(false)
  return new Promise((resolve) => useOutsidePathStore.setState({ asking: paths, answer: resolve }))
}

function refusedPaths(error: unknown): OutsidePath[] | null {
  if (!(error instanceof ContractCallError) || error.code !== 'outside_user_folders') return null
  const paths = error.details.map(parseOutsidePathDetail).filter((one): one is OutsidePath => one !== null)
  return paths.length > 0 ? paths : null
}

/**
 * Sends a request with the paths the user allowed; if the core refuses others as outside the
 * user's folders, asks, and resends once they are allowed. Not allowed: throws a ContractCallError
 * saying nothing was done, which the caller shows like any other refusal.
 */
export async function sendAllowingOutsidePaths<T>(send: (confirmedPaths: string[]) => Promise<T>): Promise<T> {
  try {
    return await send([...useOutsidePathStore.getState().allowed])
  } catch (error) {
    const paths = refusedPaths(error)
    if (!paths) throw error
    if (!(await ask(paths))) {
      throw new ContractCallError({
        code: 'outside_user_folders',
        message: `Not allowed, so nothing was read or written: ${paths.map((one) => one.path).join(', ')}. Choose a file or folder in your home folder, the LocalTune home, the Hugging Face cache, the temp folder or on a removable disk.`,
        details: paths.map((one) => one.field)
      })
    }
    return send([...useOutsidePathStore.getState().allowed])
  }
}

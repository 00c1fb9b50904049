import { create } from 'zustand'
import type { Project, RunSummary } from '../../shared/contract'

/**
 * Create Project: the name the user typed (null keeps the default from the CSV name) and how
 * the last attempt went. The gate itself is derived from the estimate on screen.
 */

export type CreationState =
  | { status: 'idle' }
  | { status: 'creating'; train: boolean }
  | { status: 'failed'; message: string; details: string[] }
  /** `runError`: the project was saved but its run could not start (the user can try Train again). */
  | { status: 'created'; project: Project; run: RunSummary | null; runError: string | null }

interface ProjectCreationState {
  name: string | null
  creation: CreationState
  actions: {
    nameEdited(name: string): void
    creationStarted(train: boolean): void
    creationFailed(message: string, details: string[]): void
    projectCreated(project: Project, run: RunSummary | null, runError?: string | null): void
    /** Any change to the choices: a created project no longer describes what is on screen. */
    creationReset(): void
  }
}

const useProjectCreationStore = create<ProjectCreationState>()((set) => ({
  name: null,
  creation: { status: 'idle' },
  actions: {
    nameEdited: (name) => set({ name }),
    creationStarted: (train) => set({ creation: { status: 'creating', train } }),
    creationFailed: (message, details) => set({ creation: { status: 'failed', message, details } }),
    projectCreated: (project, run, runError = null) => set({ creation: { status: 'created', project, run, runError } }),
    creationReset: () => set((state) => (state.creation.status === 'idle' ? {} : { creation: { status: 'idle' } }))
  }
}))

export const useProjectName = () => useProjectCreationStore((state) => state.name)
export const useProjectCreation = () => useProjectCreationStore((state) => state.creation)
export const useProjectCreationActions = () => useProjectCreationStore((state) => state.actions)

export const projectCreationNow = () => useProjectCreationStore.getState()
export const projectCreationActions = () => useProjectCreationStore.getState().actions

/** The default project name: the CSV's file name without its extension. */
export function defaultProjectName(fileName: string | null): string {
  if (!fileName) return 'My project'
  return fileName.replace(/\.(csv|tsv|txt)$/i, '') || fileName
}

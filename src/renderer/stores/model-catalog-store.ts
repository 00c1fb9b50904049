import { create } from 'zustand'
import type { ModelCatalogEntry, ModelFolderList } from '../../shared/contract'

/**
 * The models LocalTune found (built-in demo, Hugging Face cache, the user's folders), the
 * search text, and the state of the folder and Hub id forms. The choice itself lives in
 * model-choice-store (the Data screen reads it too); this store keeps the full entries, whose
 * architecture the estimate needs. I/O lives in features/model/model-catalog-service.ts.
 */

export type RequestState<T> = { status: 'idle' } | { status: 'busy' } | { status: 'failed'; message: string; details: string[] } | { status: 'done'; value: T }

interface ModelCatalogState {
  list: ModelFolderList | null
  listState: RequestState<null>
  query: string
  /** Entries found by Hub id lookups that the list does not hold (kept so a choice stays known). */
  resolved: ModelCatalogEntry[]
  folderState: RequestState<{ added: string; found: number }>
  hubState: RequestState<ModelCatalogEntry>
  actions: {
    catalogRequested(): void
    catalogLoaded(list: ModelFolderList): void
    catalogFailed(message: string, details: string[]): void
    queryChanged(query: string): void
    folderAddRequested(): void
    folderAdded(list: ModelFolderList, added: string, found: number): void
    folderAddFailed(message: string, details: string[]): void
    hubLookupRequested(): void
    hubModelResolved(entry: ModelCatalogEntry): void
    hubLookupFailed(message: string, details: string[]): void
  }
}

const useModelCatalogStore = create<ModelCatalogState>()((set) => ({
  list: null,
  listState: { status: 'idle' },
  query: '',
  resolved: [],
  folderState: { status: 'idle' },
  hubState: { status: 'idle' },
  actions: {
    catalogRequested: () => set({ listState: { status: 'busy' } }),
    catalogLoaded: (list) => set({ list, listState: { status: 'done', value: null } }),
    catalogFailed: (message, details) => set({ listState: { status: 'failed', message, details } }),
    queryChanged: (query) => set({ query }),
    folderAddRequested: () => set({ folderState: { status: 'busy' } }),
    folderAdded: (list, added, found) => set({ list, folderState: { status: 'done', value: { added, found } } }),
    folderAddFailed: (message, details) => set({ folderState: { status: 'failed', message, details } }),
    hubLookupRequested: () => set({ hubState: { status: 'busy' } }),
    hubModelResolved: (entry) =>
      set((state) => ({
        hubState: { status: 'done', value: entry },
        resolved: [...state.resolved.filter((known) => !sameModel(known, entry)), entry]
      })),
    hubLookupFailed: (message, details) => set({ hubState: { status: 'failed', message, details } })
  }
}))

export function sameModel(a: Pick<ModelCatalogEntry, 'id' | 'path'>, b: Pick<ModelCatalogEntry, 'id' | 'path'>): boolean {
  return a.id === b.id && a.path === b.path
}

/** Entries whose name, id, architecture or location contains every word of the query. */
export function filterCatalog(models: readonly ModelCatalogEntry[], query: string): ModelCatalogEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter((word) => word !== '')
  if (words.length === 0) return [...models]
  return models.filter((model) => {
    const haystack = [model.displayName, model.id, model.architecture?.modelType ?? '', model.architecture?.architecture ?? '', model.path ?? '', model.source === 'hf-cache' ? 'hugging face cache' : model.source, model.isDemo ? 'demo' : ''].join(' ').toLowerCase()
    return words.every((word) => haystack.includes(word))
  })
}

export const useModelCatalog = () => useModelCatalogStore((state) => state.list)
export const useModelCatalogState = () => useModelCatalogStore((state) => state.listState)
export const useModelQuery = () => useModelCatalogStore((state) => state.query)
export const useFolderAddState = () => useModelCatalogStore((state) => state.folderState)
export const useHubLookupState = () => useModelCatalogStore((state) => state.hubState)
export const useModelCatalogActions = () => useModelCatalogStore((state) => state.actions)

/** The catalog entry of a chosen model (listed or resolved by id), or null when it is not known here. */
export function useCatalogEntry(model: Pick<ModelCatalogEntry, 'id' | 'path'> | null): ModelCatalogEntry | null {
  return useModelCatalogStore((state) => (model ? findCatalogEntry(state, model) : null))
}

function findCatalogEntry(state: Pick<ModelCatalogState, 'list' | 'resolved'>, model: Pick<ModelCatalogEntry, 'id' | 'path'>): ModelCatalogEntry | null {
  return state.list?.models.find((entry) => sameModel(entry, model)) ?? state.resolved.find((entry) => sameModel(entry, model)) ?? null
}

/** For services. */
export const modelCatalogNow = () => useModelCatalogStore.getState()
export const modelCatalogActions = () => useModelCatalogStore.getState().actions
export const catalogEntryNow = (model: Pick<ModelCatalogEntry, 'id' | 'path'>) => findCatalogEntry(useModelCatalogStore.getState(), model)

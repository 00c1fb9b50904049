import { describe, expect, it } from 'vitest'
import type { ModelCatalogEntry } from '../../../src/shared/contract'
import { tinyDemoArchitecture, tinyDemoEntry } from '../../../src/shared/estimator'
import { catalogEntryNow, filterCatalog, modelCatalogActions } from '../../../src/renderer/stores/model-catalog-store'

const demo: ModelCatalogEntry = { ...tinyDemoEntry(), displayName: 'LocalTune tiny demo', parameters: null }
const qwen: ModelCatalogEntry = { ...demo, id: 'Qwen/Qwen2.5-0.5B-Instruct', displayName: 'Qwen/Qwen2.5-0.5B-Instruct', source: 'hf-cache', path: '/cache/qwen', architecture: { ...tinyDemoArchitecture, modelType: 'qwen2', architecture: 'Qwen2ForCausalLM', isTinyDemo: false }, isDemo: false }

describe('model catalog store', () => {
  it('search matches every word against name, id, architecture and place', () => {
    expect(filterCatalog([demo, qwen], '')).toHaveLength(2)
    expect(filterCatalog([demo, qwen], 'demo').map((entry) => entry.id)).toEqual(['localtune/tiny-demo'])
    expect(filterCatalog([demo, qwen], 'QWEN2 cache').map((entry) => entry.id)).toEqual(['Qwen/Qwen2.5-0.5B-Instruct'])
    expect(filterCatalog([demo, qwen], 'qwen demo')).toEqual([])
  })

  it('remembers a model found by id so the choice stays known', () => {
    modelCatalogActions().catalogLoaded({ models: [demo], folders: [], cacheDir: '/cache', problems: [] })
    expect(catalogEntryNow({ id: qwen.id, path: qwen.path })).toBeNull()
    modelCatalogActions().hubModelResolved(qwen)
    expect(catalogEntryNow({ id: qwen.id, path: qwen.path })).toEqual(qwen)
  })
})

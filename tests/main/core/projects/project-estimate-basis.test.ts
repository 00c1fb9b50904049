import { afterEach, describe, expect, it } from 'vitest'
import { createProjectRepository, type NewProject } from '../../../../src/main/core/projects/project-repository'
import { openDatabase } from '../../../../src/main/core/store/database'
import { migrations } from '../../../../src/main/core/store/migrations'
import { estimateVerificationSchema } from '../../../../src/shared/contract/estimate-schemas'
import { verifiedEstimateSchema } from '../../../../src/shared/contract/projects'
import { makeTempHome } from '../../../helpers/temp-home'

const measured = estimateVerificationSchema.parse({
  verificationId: 'v-1',
  fits: true,
  cause: null,
  message: null,
  device: 'cpu',
  precision: 'fp32',
  method: 'lora',
  limitBytes: null,
  memory: { kind: 'cpu-resident', peakBytes: 5e8, runtimeBytes: 4e8, weightsBytes: 1e7, optimizerStateBytes: 1e6, stepBytes: 5e7, allocatedPeakBytes: null, reservedPeakBytes: null, deviceUsedBytes: null },
  batch: { sequences: 2, longestTokens: 135, paddedTokens: 270, microBatchSize: 2, maxLength: 256 },
  steps: [{ step: 1, seconds: 0.5, loss: 10 }],
  secondsPerStep: 0.5,
  tokensPerSecond: 540,
  elapsedSeconds: 9
})

function project(id: string, estimate: NewProject['estimate']): NewProject {
  return {
    id,
    name: id,
    datasetId: null as unknown as string, // a project whose dataset was deleted keeps its row
    mode: 'chat',
    data: null,
    model: { id: 'localtune/tiny-demo', path: null, displayName: 'demo', demo: true, hasChatTemplate: false },
    settings: { model: { id: 'localtune/tiny-demo', path: null }, method: 'lora', mode: 'chat', params: {}, merge: false } as NewProject['settings'],
    estimate,
    hardware: null,
    projectDir: `/projects/${id}`,
    trainExamples: 3,
    validExamples: 0,
    droppedRows: 0
  }
}

const estimateOnly = verifiedEstimateSchema.parse({ verdict: 'fits', peakBytes: 6e8, deviceMemoryBytes: null, deviceLabel: 'CPU', details: {}, riskAccepted: false })

describe('projects record whether their figures were measured or estimated', () => {
  const homes: Array<() => void> = []
  afterEach(() => homes.splice(0).forEach((cleanup) => cleanup()))

  it('a project with a verification is "measured" and keeps the measurement; one without is "estimated"', () => {
    const temp = makeTempHome()
    homes.push(temp.cleanup)
    const db = openDatabase(temp.home)
    const projects = createProjectRepository(db)
    projects.insert(project('with-verification', { ...estimateOnly, measured }))
    projects.insert(project('estimate-only', estimateOnly))
    expect(projects.get('with-verification')).toMatchObject({ estimateBasis: 'measured', estimate: { measured: { memory: { peakBytes: 5e8 } } } })
    expect(projects.get('estimate-only')).toMatchObject({ estimateBasis: 'estimated', estimate: { measured: null } })
    db.close()
  })

  it('migration 5 marks the projects of an older database as estimated', () => {
    const temp = makeTempHome()
    homes.push(temp.cleanup)
    const before = migrations.filter((migration) => migration.version < 5)
    const old = openDatabase(temp.home, before)
    old.prepare(
      `INSERT INTO projects (id, name, dataset_id, mode, mapping_json, model_json, params_json, estimate_json, hardware_json, project_dir, created_at, updated_at)
       VALUES ('old', 'Old', NULL, 'chat', '{"data":null,"trainExamples":1,"validExamples":0,"droppedRows":0}', '{}', '{}', NULL, NULL, '/p', 't', 't')`
    ).run()
    old.close()
    const db = openDatabase(temp.home)
    expect(createProjectRepository(db).get('old')).toMatchObject({ estimateBasis: 'estimated', estimate: null })
    db.close()
  })
})

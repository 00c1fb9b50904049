import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { ContractHandlers } from '../../../shared/contract'
import { openDatasetIndex } from '../datasets/dataset-import'
import { createDatasetRepository } from '../datasets/dataset-repository'
import { exportTrainingData } from '../datasets/training-export'
import { refuseUnconfirmedRiskySettings } from '../risky-settings-check'
import { recordRunEstimate } from '../runs/run-estimate-errors'
import { mergeParams, type RunSupervisor } from '../runs/run-supervisor'
import type { LocalTuneDatabase } from '../store/database'
import { UserFacingError } from '../user-facing-error'
import { createProjectRepository } from './project-repository'

type ProjectChannels = 'projects.create' | 'projects.list' | 'projects.get' | 'projects.start-run'

export function projectsFolder(home: string): string {
  return path.join(home, 'projects')
}

/**
 * Projects bind a dataset (with its mapping), a model, the parameters and the estimate the user
 * verified. Creating one writes its training files once, with the same formatter as the
 * preview, so every run of the project trains on exactly what was shown.
 */
export function projectsHandlers(deps: { home: string; db: LocalTuneDatabase; runs: RunSupervisor }): Pick<ContractHandlers, ProjectChannels> {
  const projects = createProjectRepository(deps.db)
  const datasets = createDatasetRepository(deps.db)

  const requireProject = (projectId: string) => {
    const project = projects.get(projectId)
    if (!project) throw new UserFacingError(`There is no project "${projectId}".`, { code: 'not_found' })
    return project
  }

  return {
    'projects.create': async (request) => {
      if (request.estimate.verdict === 'does_not_fit' && !request.estimate.riskAccepted) {
        throw new UserFacingError(
          `The estimate says this does not fit ${request.estimate.deviceLabel}. Change the parameters until it fits, or accept the risk explicitly.`,
          { code: 'conflict', details: ['estimate.riskAccepted'] }
        )
      }
      refuseUnconfirmedRiskySettings(request.settings.model, request.confirmedRisks)
      if (request.settings.mode !== request.data.mapping.mode) {
        throw new UserFacingError(`The parameters are for ${request.settings.mode} mode but the data is mapped for ${request.data.mapping.mode} mode.`, {
          code: 'invalid_request',
          details: ['settings.mode', 'data.mapping.mode']
        })
      }
      const dataset = datasets.get(request.data.datasetId)
      if (!dataset) throw new UserFacingError(`The dataset "${request.data.datasetId}" is not known. Open the CSV again on the Data screen.`, { code: 'not_found' })
      const id = crypto.randomUUID()
      const projectDir = path.join(projectsFolder(deps.home), id)
      const dataDir = path.join(projectDir, 'data')
      try {
        const summary = await exportTrainingData({
          source: await openDatasetIndex(deps.home, dataset.id),
          mapping: request.data.mapping,
          format: request.data.format,
          outDir: dataDir,
          dropInvalidRows: request.data.dropInvalidRows,
          ...(request.data.split ? { split: request.data.split } : {})
        })
        return projects.insert({
          id,
          name: request.name,
          datasetId: dataset.id,
          mode: request.data.mapping.mode,
          data: request.data,
          model: request.model,
          settings: request.settings,
          estimate: request.estimate,
          hardware: request.hardware,
          projectDir,
          trainExamples: summary.rows.train,
          validExamples: summary.rows.validation,
          droppedRows: summary.rows.dropped
        })
      } catch (error) {
        // A project that could not write its data is not a project: leave nothing half-made.
        fs.rmSync(projectDir, { recursive: true, force: true })
        throw error
      }
    },
    'projects.list': async () => projects.list(),
    'projects.get': async ({ projectId }) => requireProject(projectId),
    'projects.start-run': async ({ projectId, device, overrides }) => {
      const project = requireProject(projectId)
      const dataDir = path.join(project.projectDir, 'data')
      const trainJsonl = path.join(dataDir, 'train.jsonl')
      if (!fs.existsSync(trainJsonl)) {
        throw new UserFacingError(`The project's training file is missing (${trainJsonl}). Create the project again from its dataset.`, { code: 'not_found' })
      }
      const validJsonl = path.join(dataDir, 'valid.jsonl')
      // Overrides change this run only; the project keeps the settings it was verified with.
      const settings = overrides
        ? {
            ...project.settings,
            method: overrides.method ?? project.settings.method,
            params: overrides.params ? (mergeParams((project.settings.params ?? {}) as Record<string, unknown>, overrides.params) as typeof project.settings.params) : project.settings.params,
            merge: overrides.merge ?? project.settings.merge
          }
        : project.settings
      const run = await deps.runs.startRun({
        projectId,
        settings,
        trainJsonl,
        validJsonl: project.validExamples > 0 && fs.existsSync(validJsonl) ? validJsonl : null,
        ...(device ? { device } : {}),
        ...(project.datasetFileName ? { datasetLabel: project.datasetFileName } : {})
      })
      // The project's estimate describes this run only when nothing that changes memory or time was overridden.
      if (!overrides?.method && !overrides?.params) recordRunEstimate(deps.db, run.id, project.estimate)
      return run
    }
  }
}

import { projectDataSchema, type Project } from '../../../shared/contract/projects'
import type { LocalTuneDatabase } from '../store/database'

interface ProjectRow {
  id: string
  name: string
  dataset_id: string | null
  dataset_file_name: string | null
  mode: string
  mapping_json: string
  model_json: string
  params_json: string
  estimate_json: string | null
  estimate_basis: string
  hardware_json: string | null
  project_dir: string
  created_at: string
  updated_at: string
}

/** What a project stores beyond its columns: the data choices and the counts of its files. */
interface StoredData {
  data: unknown
  trainExamples: number
  validExamples: number
  droppedRows: number
}

/** The stored data choices, checked: a project saved by an older LocalTune may not match today's schema. */
function parsedData(data: unknown): Project['data'] {
  const parsed = projectDataSchema.safeParse(data)
  return parsed.success ? parsed.data : null
}

function toProject(row: ProjectRow): Project {
  const stored = JSON.parse(row.mapping_json) as StoredData
  return {
    id: row.id,
    name: row.name,
    datasetId: row.dataset_id,
    datasetFileName: row.dataset_file_name,
    mode: row.mode,
    data: parsedData(stored.data),
    model: JSON.parse(row.model_json),
    settings: JSON.parse(row.params_json),
    estimate: row.estimate_json ? JSON.parse(row.estimate_json) : null,
    estimateBasis: row.estimate_basis === 'measured' ? 'measured' : 'estimated',
    hardware: row.hardware_json ? JSON.parse(row.hardware_json) : null,
    projectDir: row.project_dir,
    trainExamples: stored.trainExamples,
    validExamples: stored.validExamples,
    droppedRows: stored.droppedRows,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
}

const selectProjects = `SELECT projects.*, datasets.file_name AS dataset_file_name FROM projects LEFT JOIN datasets ON datasets.id = projects.dataset_id`

export interface NewProject {
  id: string
  name: string
  datasetId: string
  mode: string
  data: unknown
  model: Project['model']
  settings: Project['settings']
  estimate: Project['estimate']
  hardware: Project['hardware']
  projectDir: string
  trainExamples: number
  validExamples: number
  droppedRows: number
}

/** The projects table: one row per project, its choices as JSON, its files in projectDir. */
export function createProjectRepository(db: LocalTuneDatabase, now: () => Date = () => new Date()) {
  return {
    insert(project: NewProject): Project {
      const stamp = now().toISOString()
      const stored: StoredData = { data: project.data, trainExamples: project.trainExamples, validExamples: project.validExamples, droppedRows: project.droppedRows }
      db.prepare(
        `INSERT INTO projects (id, name, dataset_id, mode, mapping_json, model_json, params_json, estimate_json, estimate_basis, hardware_json, project_dir, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
      ).run(
        project.id,
        project.name,
        project.datasetId,
        project.mode,
        JSON.stringify(stored),
        JSON.stringify(project.model),
        JSON.stringify(project.settings),
        project.estimate ? JSON.stringify(project.estimate) : null,
        project.estimate?.measured ? 'measured' : 'estimated',
        project.hardware ? JSON.stringify(project.hardware) : null,
        project.projectDir,
        stamp,
        stamp
      )
      const created = this.get(project.id)
      if (!created) throw new Error(`Project ${project.id} was not saved`)
      return created
    },
    get(id: string): Project | null {
      const row = db.prepare(`${selectProjects} WHERE projects.id = ?`).get(id) as ProjectRow | undefined
      return row ? toProject(row) : null
    },
    list(): Project[] {
      return (db.prepare(`${selectProjects} ORDER BY projects.created_at DESC, projects.id`).all() as ProjectRow[]).map(toProject)
    }
  }
}

export type ProjectRepository = ReturnType<typeof createProjectRepository>

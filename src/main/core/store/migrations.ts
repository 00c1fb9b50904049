/**
 * Numbered schema migrations, applied in order and recorded in `PRAGMA user_version`.
 * Never edit a migration that has shipped: add the next number. All pending ones run in one
 * IMMEDIATE transaction with the version check inside (see `migrate`), so a failure leaves the
 * database at the version it had, and two processes never apply the same one.
 */
export interface Migration {
  version: number
  name: string
  sql: string
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'datasets, projects, runs, metrics, checkpoints',
    sql: `
      CREATE TABLE datasets (
        id TEXT PRIMARY KEY,
        source_path TEXT NOT NULL,
        file_name TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        modified_ms INTEGER NOT NULL,
        encoding TEXT NOT NULL,
        delimiter TEXT NOT NULL,
        has_header INTEGER NOT NULL,
        row_count INTEGER NOT NULL,
        columns_json TEXT NOT NULL,
        mode TEXT,
        mapping_json TEXT,
        counts_json TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        dataset_id TEXT REFERENCES datasets(id) ON DELETE SET NULL,
        mode TEXT NOT NULL,
        mapping_json TEXT NOT NULL,
        model_json TEXT NOT NULL,
        params_json TEXT NOT NULL,
        estimate_json TEXT,
        hardware_json TEXT,
        project_dir TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        project_id TEXT REFERENCES projects(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        run_dir TEXT NOT NULL,
        gpu_index INTEGER,
        pid INTEGER,
        exit_code INTEGER,
        exit_signal INTEGER,
        error_json TEXT,
        total_steps INTEGER,
        last_step INTEGER,
        final_loss REAL,
        final_eval_loss REAL,
        peak_memory_bytes INTEGER,
        events_offset INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT
      );
      CREATE INDEX runs_by_project ON runs(project_id, created_at);
      CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        step INTEGER NOT NULL,
        epoch REAL,
        loss REAL,
        lr REAL,
        grad_norm REAL,
        tokens_per_second REAL,
        gpu_memory_bytes INTEGER,
        time REAL NOT NULL,
        PRIMARY KEY (run_id, kind, step)
      );
      CREATE TABLE checkpoints (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        path TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, step)
      );
    `
  },
  {
    version: 2,
    name: 'run supervision: device queue, owning host, config and timing of each run',
    sql: `
      ALTER TABLE runs ADD COLUMN config_json TEXT;
      ALTER TABLE runs ADD COLUMN dataset_label TEXT;
      ALTER TABLE runs ADD COLUMN device_key TEXT NOT NULL DEFAULT 'cpu';
      ALTER TABLE runs ADD COLUMN device_label TEXT;
      ALTER TABLE runs ADD COLUMN queued_at TEXT;
      ALTER TABLE runs ADD COLUMN host_pid INTEGER;
      ALTER TABLE runs ADD COLUMN host_token TEXT;
      ALTER TABLE runs ADD COLUMN resume_requested INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN stop_requested_at TEXT;
      ALTER TABLE runs ADD COLUMN attempt_started_at TEXT;
      ALTER TABLE runs ADD COLUMN active_seconds REAL NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN final_dir TEXT;
      CREATE INDEX runs_by_device_queue ON runs(device_key, status, queued_at);
    `
  },
  {
    version: 3,
    name: 'model folders the user added on the Model screen',
    sql: `
      CREATE TABLE model_folders (
        path TEXT PRIMARY KEY,
        added_at TEXT NOT NULL
      );
    `
  },
  {
    version: 4,
    name: 'start time of the host that runs a run: a pid alone is reused by the kernel',
    sql: `
      ALTER TABLE runs ADD COLUMN host_started TEXT;
    `
  },
  {
    version: 5,
    name: 'whether a project was created with measured or only estimated figures',
    sql: `
      ALTER TABLE projects ADD COLUMN estimate_basis TEXT NOT NULL DEFAULT 'estimated';
    `
  },
  {
    version: 6,
    name: 'the estimate each run started with, to compare with what it measured',
    sql: `
      CREATE TABLE run_estimates (
        run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        peak_bytes REAL NOT NULL,
        peak_kind TEXT NOT NULL,
        seconds_per_step_low REAL,
        seconds_per_step_high REAL,
        basis TEXT NOT NULL,
        device_label TEXT NOT NULL
      );
    `
  },
  {
    version: 7,
    name: 'runs on several GPUs, CPU processes or machines: where each run trains, as one JSON value',
    // device_key becomes "cuda:0,1,…" for a run on several GPUs; gpu_index stays the GPU of a
    // one-GPU run. Older rows keep NULL here and are read from gpu_index.
    sql: `
      ALTER TABLE runs ADD COLUMN placement_json TEXT;
    `
  }
]

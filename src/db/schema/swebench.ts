// SWE-bench trials: batches of runs, and the columns that tie a run to its instance, image and patch.
import type { Migration } from '../migrate.js';

export const SWEBENCH_MIGRATIONS: Migration[] = [
  {
    name: 'swebench-001-batches-and-trial-columns',
    sql: `
      CREATE TABLE batches (
        id TEXT PRIMARY KEY,              -- --name, or b + hash of (tasks file content, profiles, repeat)
        name TEXT,
        tasks_file TEXT,
        tasks_sha256 TEXT,
        profiles TEXT,                    -- JSON array of profile names
        repeat INTEGER,
        parallel INTEGER,
        created_at INTEGER,               -- epoch ms
        finished_at INTEGER,              -- epoch ms of the last pass that ended
        status TEXT CHECK (status IN ('running', 'done', 'incomplete', 'interrupted'))
      );
      ALTER TABLE runs ADD COLUMN batch_id TEXT REFERENCES batches(id);
      ALTER TABLE runs ADD COLUMN instance_id TEXT;
      ALTER TABLE runs ADD COLUMN trial_index INTEGER;
      ALTER TABLE runs ADD COLUMN source_image TEXT;
      ALTER TABLE runs ADD COLUMN fixed_image TEXT;
      ALTER TABLE runs ADD COLUMN base_commit TEXT;   -- HEAD of /testbed before the agent started
      ALTER TABLE runs ADD COLUMN test_env TEXT;      -- the instance's env put first on PATH, NULL if none
      ALTER TABLE runs ADD COLUMN patch_bytes INTEGER;
      ALTER TABLE runs ADD COLUMN patch_files INTEGER;
      CREATE INDEX runs_batch_trial ON runs (batch_id, instance_id, profile, trial_index);
    `,
  },
];

// Trials run as Slurm array tasks: Slurm's own ids and states next to the run (runs.status keeps agentpod's
// verdict), the arrays a batch submitted, and the shards already merged (what makes `agentpod merge` idempotent).
import type { Migration } from '../migrate.js';

export const SLURM_MIGRATIONS: Migration[] = [
  {
    name: 'slurm-001-runs-columns-arrays-shards',
    sql: `
      ALTER TABLE runs ADD COLUMN slurm_cluster TEXT;
      ALTER TABLE runs ADD COLUMN slurm_job_id TEXT;          -- the array task's own job id (SLURM_JOB_ID)
      ALTER TABLE runs ADD COLUMN slurm_array_job_id TEXT;    -- SLURM_ARRAY_JOB_ID
      ALTER TABLE runs ADD COLUMN slurm_array_task_id INTEGER;
      ALTER TABLE runs ADD COLUMN slurm_restarts INTEGER;     -- SLURM_RESTART_COUNT (a requeued task runs again)
      ALTER TABLE runs ADD COLUMN slurm_submission INTEGER;   -- the batch's submission the task belonged to
      ALTER TABLE runs ADD COLUMN slurm_node TEXT;
      ALTER TABLE runs ADD COLUMN slurm_state TEXT;           -- Slurm's state of the task: COMPLETED, FAILED, OUT_OF_MEMORY, ...
      ALTER TABLE runs ADD COLUMN slurm_exit_code TEXT;       -- "code:signal" as Slurm recorded it
      ALTER TABLE runs ADD COLUMN slurm_step_state TEXT;      -- the container step's end as srun reported it (OUT_OF_MEMORY)
      ALTER TABLE runs ADD COLUMN slurm_cpus INTEGER;         -- whole CPUs granted (runs.cpus keeps the fractional request)
      ALTER TABLE runs ADD COLUMN slurm_mem_mib INTEGER;      -- the task's --mem: profile memory + runner allowance
      CREATE INDEX runs_slurm_job ON runs (slurm_array_job_id, slurm_array_task_id);

      CREATE TABLE slurm_arrays (
        array_job_id TEXT NOT NULL,
        cluster TEXT NOT NULL DEFAULT '',
        batch_id TEXT NOT NULL,
        submission INTEGER NOT NULL,
        profile TEXT NOT NULL,
        index_offset INTEGER NOT NULL,      -- trial index = index_offset + array task id
        indices TEXT NOT NULL,              -- the trial indices it runs, as Slurm's compact list
        merge_job_id TEXT,
        batch_dir TEXT NOT NULL,
        submitted_at INTEGER NOT NULL,      -- epoch ms
        PRIMARY KEY (array_job_id, cluster)
      );
      CREATE INDEX slurm_arrays_batch ON slurm_arrays (batch_id);

      CREATE TABLE merged_shards (
        shard_id TEXT PRIMARY KEY,          -- written into the shard by its task
        batch_id TEXT,
        path TEXT NOT NULL,
        rows INTEGER NOT NULL,              -- rows the merge added
        merged_at INTEGER NOT NULL          -- epoch ms
      );
    `,
  },
];

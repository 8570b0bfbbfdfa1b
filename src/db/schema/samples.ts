// Resource samples of a run's container (docs/sampler.md): raw cumulative counters and gauges with their
// epoch-ms time; rates are derived in the sample_rates view. NULL means "not available from this source",
// never zero. Also the run-row summary columns the sampler writes at the end, and a host snapshot per run.
import type { Migration } from '../migrate.js';

/**
 * The samples table. Its first version checked `source` against the three sampler sources and tied run_id to
 * runs(id); the second names any source and any sampled container's id (a run, or an evaluation of one).
 */
function samplesTable(name: string, constraints: { source: string; runId: string }): string {
  return `CREATE TABLE ${name} (
        run_id TEXT NOT NULL ${constraints.runId},
        t_ms INTEGER NOT NULL,                 -- epoch ms of the read
        source TEXT NOT NULL ${constraints.source},
        memory_current_bytes INTEGER,          -- v2 memory.current, v1 usage_in_bytes, proc: sum of RSS
        memory_peak_bytes INTEGER,             -- v2 memory.peak, v1 max_usage_in_bytes
        memory_working_set_bytes INTEGER,      -- current - inactive_file; proc: sum of PSS
        memory_anon_bytes INTEGER,
        memory_file_bytes INTEGER,
        memory_kernel_bytes INTEGER,
        memory_shmem_bytes INTEGER,
        memory_sock_bytes INTEGER,
        memory_inactive_file_bytes INTEGER,
        memory_swap_bytes INTEGER,
        memory_rss_bytes INTEGER,              -- proc only
        memory_pss_bytes INTEGER,              -- proc only
        memory_events_high INTEGER,
        memory_events_max INTEGER,
        memory_events_oom INTEGER,
        memory_events_oom_kill INTEGER,
        memory_failcnt INTEGER,                -- v1 only
        cpu_usage_usec INTEGER,
        cpu_user_usec INTEGER,
        cpu_system_usec INTEGER,
        cpu_nr_periods INTEGER,
        cpu_nr_throttled INTEGER,
        cpu_throttled_usec INTEGER,
        io_read_bytes INTEGER,
        io_write_bytes INTEGER,
        io_read_ops INTEGER,
        io_write_ops INTEGER,
        pids_current INTEGER,
        psi_cpu_some_avg10 REAL,
        psi_cpu_some_total_usec INTEGER,
        psi_cpu_full_avg10 REAL,
        psi_cpu_full_total_usec INTEGER,
        psi_memory_some_avg10 REAL,
        psi_memory_some_total_usec INTEGER,
        psi_memory_full_avg10 REAL,
        psi_memory_full_total_usec INTEGER,
        psi_io_some_avg10 REAL,
        psi_io_some_total_usec INTEGER,
        psi_io_full_avg10 REAL,
        psi_io_full_total_usec INTEGER,
        PRIMARY KEY (run_id, t_ms, source)
      ) WITHOUT ROWID;`;
}

const SAMPLE_RATES_VIEW = `-- Per-sample rates from consecutive counters of the same run (NULL on a run's first sample).
      CREATE VIEW sample_rates AS
        SELECT run_id, t_ms,
               (cpu_usage_usec - LAG(cpu_usage_usec) OVER w) / 1000.0 / (t_ms - LAG(t_ms) OVER w) AS cpu_cores,
               (io_read_bytes - LAG(io_read_bytes) OVER w) * 1000.0 / (t_ms - LAG(t_ms) OVER w) AS io_read_bytes_per_s,
               (io_write_bytes - LAG(io_write_bytes) OVER w) * 1000.0 / (t_ms - LAG(t_ms) OVER w) AS io_write_bytes_per_s
        FROM samples
        WINDOW w AS (PARTITION BY run_id ORDER BY t_ms);`;

export const SAMPLES_MIGRATIONS: Migration[] = [
  {
    name: 'samples-001-create',
    sql: `
      ${samplesTable('samples', { source: `CHECK (source IN ('cgroup-v2', 'cgroup-v1', 'proc'))`, runId: 'REFERENCES runs(id)' })}

      ${SAMPLE_RATES_VIEW}

      ALTER TABLE runs ADD COLUMN sample_source TEXT;
      ALTER TABLE runs ADD COLUMN sample_count INTEGER;
      ALTER TABLE runs ADD COLUMN sample_interval_ms INTEGER;
      ALTER TABLE runs ADD COLUMN limits_enforced INTEGER;         -- 1/0, NULL: no limit asked
      ALTER TABLE runs ADD COLUMN memory_max_read TEXT;            -- memory.max or v1 limit_in_bytes as read back
      ALTER TABLE runs ADD COLUMN cpu_max_read TEXT;               -- cpu.max, v1 "cfs_quota_us cfs_period_us"
      ALTER TABLE runs ADD COLUMN peak_memory_bytes INTEGER;       -- max sampled memory_current_bytes
      ALTER TABLE runs ADD COLUMN peak_working_set_bytes INTEGER;
      ALTER TABLE runs ADD COLUMN kernel_peak_memory_bytes INTEGER; -- memory.peak / max_usage_in_bytes at the end
      ALTER TABLE runs ADD COLUMN cpu_seconds REAL;
      ALTER TABLE runs ADD COLUMN throttled_usec INTEGER;
      ALTER TABLE runs ADD COLUMN oom_events INTEGER;
      ALTER TABLE runs ADD COLUMN oom_kill_events INTEGER;

      CREATE TABLE host_snapshots (
        run_id TEXT PRIMARY KEY REFERENCES runs(id),
        taken_at INTEGER,                      -- epoch ms
        cpu_model TEXT,
        cpu_cores INTEGER,
        memory_total_bytes INTEGER,
        os TEXT,
        kernel TEXT,
        podman_version TEXT,
        cgroup_version TEXT,
        runtime TEXT,
        storage_driver TEXT,
        json TEXT                              -- everything collected, as JSON
      );
    `,
  },
  {
    name: 'samples-002-open-source-column',
    // Samples now come from more places than the sampler (imported podman stats, a Slurm step's cgroup): the
    // source names where, and the code that writes it keeps the list (SourceKind in sampler/sample.ts). And not
    // only runs are sampled: a grading's test container is too, under its evaluation's id.
    sql: `
      DROP VIEW sample_rates;
      ${samplesTable('samples_open', { source: '', runId: '/* a runs.id or an evaluations.id */' })}
      INSERT INTO samples_open SELECT * FROM samples;
      DROP TABLE samples;
      ALTER TABLE samples_open RENAME TO samples;
      ${SAMPLE_RATES_VIEW}
    `,
  },
];

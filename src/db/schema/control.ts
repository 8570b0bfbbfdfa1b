// Resource control (docs/sampler.md, Soft limits and limit changes): the limits a run asked for beyond
// memory and CPUs, every change of limits during a run with what the kernel read back, the run's memory
// pressure, and the memory of each pass of a batch against its budget.
import type { Migration } from '../migrate.js';

export const CONTROL_MIGRATIONS: Migration[] = [
  {
    name: 'control-001-create',
    sql: `
      CREATE TABLE run_controls (
        run_id TEXT PRIMARY KEY REFERENCES runs(id),
        memory_high_bytes INTEGER,           -- asked for at the start (NULL: not set)
        memory_low_bytes INTEGER,
        cpu_weight INTEGER,
        schedule TEXT,                       -- JSON [{afterMs, change}] applied by agentpod during the run
        memory_high_events INTEGER,          -- memory.events "high" during the run (last - first sample)
        memory_max_events INTEGER,           -- memory.events "max" during the run
        memory_stall_some_usec INTEGER,      -- memory PSI "some" total during the run: time throttled
        memory_stall_full_usec INTEGER       -- memory PSI "full" total during the run
      );

      CREATE TABLE limit_events (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        t_ms INTEGER NOT NULL,               -- epoch ms when it was applied
        origin TEXT NOT NULL CHECK (origin IN ('start', 'command', 'schedule')),
        key TEXT NOT NULL,                   -- memory, memory-swap, cpus, memory-high, memory-low, cpu-weight
        requested TEXT NOT NULL,             -- bytes, CPUs or weight asked for; 'max': no limit
        file TEXT,                           -- the kernel file read back (memory.max, cpu.max, ...)
        read_back TEXT,                      -- its content after the change
        confirmed INTEGER,                   -- 1 read back as asked, 0 not (see note), NULL not readable (container gone)
        note TEXT
      );
      CREATE INDEX limit_events_run ON limit_events (run_id, t_ms);

      CREATE TABLE batch_memory (
        batch_id TEXT NOT NULL REFERENCES batches(id),
        pass_started_at INTEGER NOT NULL,    -- epoch ms
        budget_bytes INTEGER,                -- --memory-budget (or host memory minus a reserve); NULL: --parallel K
        peak_sum_bytes INTEGER,              -- largest sum over the pass's trials of their sampled memory
        peak_at_ms INTEGER,
        max_running INTEGER,                 -- most trials running at once
        PRIMARY KEY (batch_id, pass_started_at)
      );
    `,
  },
];

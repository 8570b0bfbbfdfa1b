// Tool calls and the processes they started (docs/sampler.md, Attribution), derived from `processes`,
// `process_samples` and the trace's tool calls, keyed by run and tool_use_id.
import type { Migration } from '../migrate.js';

export const ATTRIBUTION_MIGRATIONS: Migration[] = [
  {
    name: 'attribution-001-create',
    sql: `
      CREATE TABLE tool_attribution (
        run_id TEXT NOT NULL REFERENCES runs(id),
        tool_use_id TEXT NOT NULL,
        processes INTEGER NOT NULL,          -- processes the call started (children of the agent started in its
                                             -- window, and their descendants)
        tool_peak_rss_bytes INTEGER,         -- largest sum of their RSS at a tick inside the window
        tool_remaining_rss_bytes INTEGER,    -- their RSS at the first tick after the window (still running)
        tool_cpu_seconds REAL,               -- their CPU time (own utime + stime)
        agent_rss_bytes INTEGER,             -- the agent's largest RSS at the ticks inside the window
        PRIMARY KEY (run_id, tool_use_id)
      ) WITHOUT ROWID;

      CREATE TABLE tool_attribution_processes (
        run_id TEXT NOT NULL,
        tool_use_id TEXT NOT NULL,
        process_id INTEGER NOT NULL REFERENCES processes(id),
        PRIMARY KEY (run_id, tool_use_id, process_id)
      ) WITHOUT ROWID;

      -- Runs whose calls are attributed, and how many calls the trace had then (more calls later: again).
      CREATE TABLE attributed_runs (
        run_id TEXT PRIMARY KEY REFERENCES runs(id),
        attributed_at INTEGER NOT NULL,
        tool_calls INTEGER NOT NULL
      );
    `,
  },
];

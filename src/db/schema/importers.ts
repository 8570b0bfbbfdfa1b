// Runs imported from elsewhere (docs/characterization.md): where a run came from, what the published data
// says that agentpod's own runs do not have, the published tool windows of runs without a trace, and two
// sample columns only imported samples fill.
import type { Migration } from '../migrate.js';

export const IMPORTERS_MIGRATIONS: Migration[] = [
  {
    name: 'importers-001-agentcgroup',
    sql: `
      -- 'agentpod': launched by agentpod; 'agentcgroup': imported from the AgentCgroup study's published data.
      ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT 'agentpod';
      ALTER TABLE batches ADD COLUMN origin TEXT NOT NULL DEFAULT 'agentpod';

      -- podman stats' CPU % (of one core, can exceed 100), as published; agentpod's own samples leave it NULL
      -- and have the cumulative cpu_usage_usec instead.
      ALTER TABLE samples ADD COLUMN cpu_percent REAL;
      -- NULL: an ordinary reading. 'startup': the first reading of an imported run (the container starting);
      -- 'gone': a "0B / 0B" reading (the container had ended). Both are kept: they are real readings of nothing.
      ALTER TABLE samples ADD COLUMN flag TEXT;

      CREATE TABLE imported_runs (
        run_id TEXT PRIMARY KEY REFERENCES runs(id),
        origin TEXT NOT NULL,              -- 'agentcgroup'
        data_set TEXT NOT NULL,            -- the data set folder's name
        task_dir TEXT NOT NULL,            -- the task folder's name (an instance id, or a label like CLI_Tools_Easy)
        attempt INTEGER NOT NULL,          -- N of attempt_N
        model_label TEXT,                  -- results.json "model" (a label such as "haiku"; runs.model is the trace's)
        utc_offset_min INTEGER,            -- offset of the published naive local times (-480: UTC-8)
        start_time_local TEXT,             -- results.json start_time / end_time as published (naive local time)
        end_time_local TEXT,
        pull_time_s REAL,
        permission_fix_time_s REAL,        -- the chown + commit step
        claude_time_s REAL,                -- podman run to exit (includes keep-id's ID-mapped layer copy)
        total_time_s REAL,
        image_size_bytes INTEGER,
        testbed_mb REAL,                   -- disk_usage.testbed_mb
        tool_windows TEXT NOT NULL,        -- where the run's tool windows come from: trace, tool_calls.json, none
        summary_json TEXT,                 -- resources.json "summary" as published
        self_check TEXT,                   -- 'ok', or what the imported samples give that the summary does not; NULL: nothing to check
        imported_at INTEGER NOT NULL       -- epoch ms
      );
      CREATE INDEX imported_runs_set ON imported_runs (data_set, task_dir, attempt);

      -- tool_calls.json windows of imported runs that have no trace (a tool_use line's time to its tool_result's).
      CREATE TABLE imported_tool_calls (
        run_id TEXT NOT NULL REFERENCES runs(id),
        seq INTEGER NOT NULL,              -- position in tool_calls.json (completion order)
        tool_use_id TEXT,
        tool_name TEXT,
        input TEXT,                        -- JSON
        command TEXT,                      -- Bash: input.command
        start_ms INTEGER,
        end_ms INTEGER,                    -- NULL in the old format {timestamp, tool, id}
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;

      -- Every run's tool windows: the ingested trace's (subagents included), else the imported ones.
      CREATE VIEW run_tool_calls AS
        SELECT r.id AS run_id, c.tool_use_id, c.agent_id, c.tool_name, c.input, c.command, c.start_ms, c.end_ms,
               c.duration_ms, c.is_error, NULL AS seq, 'trace' AS window_source
        FROM runs r JOIN tool_calls c ON c.session_id = r.session_id
        UNION ALL
        SELECT i.run_id, i.tool_use_id, NULL, i.tool_name, i.input, i.command, i.start_ms, i.end_ms,
               i.end_ms - i.start_ms, NULL, i.seq, 'tool_calls.json'
        FROM imported_tool_calls i;
    `,
  },
];

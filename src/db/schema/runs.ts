import type { Migration } from '../migrate.js';

export const RUNS_MIGRATIONS: Migration[] = [
  {
    name: 'runs-001-create',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'oom', 'timeout', 'interrupted')),
        exit_code INTEGER,
        signal TEXT,
        oom_killed INTEGER,
        timed_out INTEGER,
        started_at INTEGER NOT NULL,      -- epoch ms
        finished_at INTEGER,              -- epoch ms
        duration_ms INTEGER,
        image TEXT NOT NULL,
        profile TEXT NOT NULL,
        memory_limit_bytes INTEGER,       -- NULL: no limit asked
        memory_swap_limit_bytes INTEGER,
        cpus REAL,
        pids_limit INTEGER,
        timeout_ms INTEGER,
        model TEXT,
        workdir TEXT NOT NULL,
        share_mode TEXT NOT NULL,
        runtime TEXT,
        session_id TEXT NOT NULL UNIQUE,
        container_name TEXT NOT NULL,
        container_id TEXT,
        run_dir TEXT NOT NULL,
        prompt_bytes INTEGER NOT NULL,
        prompt_sha256 TEXT NOT NULL,
        owner_pid INTEGER NOT NULL,       -- the agentpod process that launched it
        owner_host TEXT NOT NULL,
        agent_result_subtype TEXT,        -- from the agent's stream-json result line
        agent_is_error INTEGER,
        num_turns INTEGER,
        cost_usd REAL,
        result_input_tokens INTEGER,
        result_output_tokens INTEGER,
        result_cache_creation_input_tokens INTEGER,
        result_cache_read_input_tokens INTEGER,
        error TEXT                        -- agentpod's own failure, if any
      );
      CREATE INDEX runs_started ON runs (started_at);
    `,
  },
];

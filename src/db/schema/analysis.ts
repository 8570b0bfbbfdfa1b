// Stored results of the analysis queries (docs/queries.md, "Stored tool-call figures"): what `tools` and
// `tool-resources*` compute per session and per run, kept so that a query over thousands of runs reads a few
// rows per run instead of every tool call and sample. Each stored set has a state table: a row there means the
// set is current. Triggers delete that row whenever an input changes — samples of the run, the session's tool
// calls (new trace lines, a re-read file, another file's copy becoming canonical), the run's times — so late
// data (samples imported after the run, trace lines ingested after the first computation) is never missed:
// the next query or run end recomputes what is not current (src/analysis/stored.ts).
import type { Migration } from '../migrate.js';

export const ANALYSIS_MIGRATIONS: Migration[] = [
  {
    name: 'analysis-001-stored-tool-figures',
    sql: `
      -- Per session: its tool calls grouped by tool and Bash family ('' for other tools), with the durations
      -- of the finished calls as a sorted array (percentiles need the values, not a mean).
      CREATE TABLE tool_call_groups (
        session_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        family TEXT NOT NULL,              -- Bash: test, install, ...; '' for other tools
        calls INTEGER NOT NULL,
        unfinished INTEGER NOT NULL,       -- calls without a tool_result
        errors INTEGER NOT NULL,           -- finished calls whose result has is_error
        total_ms INTEGER NOT NULL,         -- sum of the finished calls' durations
        durations_ms TEXT NOT NULL,        -- comma-separated, ascending (analysis/stored.ts packValues)
        PRIMARY KEY (session_id, tool, family)
      ) WITHOUT ROWID;
      -- Per session and model: its API responses and tokens (the tokens query; runs sums them per session).
      CREATE TABLE session_model_tokens (
        session_id TEXT NOT NULL,
        model TEXT,
        responses INTEGER NOT NULL,
        subagent_responses INTEGER NOT NULL,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_creation_input_tokens INTEGER,
        cache_read_input_tokens INTEGER,
        first_ms INTEGER
      );
      CREATE INDEX session_model_tokens_session ON session_model_tokens (session_id);
      -- tool_call_groups and session_model_tokens of a session are current when it has a row here.
      CREATE TABLE tool_call_groups_state (session_id TEXT PRIMARY KEY, computed_at_ms INTEGER NOT NULL) WITHOUT ROWID;

      -- Per run and tool call: its window's figures from the run's samples (the tool-resources columns).
      -- Keyed by run and tool_use_id, for other tables keyed the same way to join.
      CREATE TABLE tool_windows (
        run_id TEXT NOT NULL,
        tool_use_id TEXT NOT NULL,
        agent_id TEXT,
        tool TEXT NOT NULL,
        family TEXT NOT NULL,              -- as in tool_call_groups
        start_ms INTEGER,
        end_ms INTEGER,                    -- the tool_result's time; NULL: no result
        window_end_ms INTEGER,             -- end of the measured window (end_ms, else the run's end or last sample)
        duration_ms INTEGER,
        is_error INTEGER,
        coverage TEXT NOT NULL,            -- inside, bracketing, none
        samples INTEGER NOT NULL,
        peak_memory_bytes INTEGER,
        memory_before_bytes INTEGER,
        memory_delta_bytes INTEGER,
        cpu_seconds REAL,
        avg_cores REAL,
        PRIMARY KEY (run_id, tool_use_id)
      ) WITHOUT ROWID;
      -- Per run and group: the measured calls' figures as sorted JSON arrays, for tool-resources-summary.
      CREATE TABLE tool_window_groups (
        run_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        family TEXT NOT NULL,
        calls INTEGER NOT NULL,
        measured INTEGER NOT NULL,
        bracketed INTEGER NOT NULL,
        peak_memory_bytes TEXT NOT NULL,   -- comma-separated as in tool_call_groups, NULLs left out
        memory_delta_bytes TEXT NOT NULL,
        cpu_seconds TEXT NOT NULL,
        PRIMARY KEY (run_id, tool, family)
      ) WITHOUT ROWID;
      CREATE TABLE tool_windows_state (run_id TEXT PRIMARY KEY, computed_at_ms INTEGER NOT NULL) WITHOUT ROWID;

      -- What makes a stored set stale.
      CREATE TRIGGER samples_insert_stales_windows AFTER INSERT ON samples
        BEGIN DELETE FROM tool_windows_state WHERE run_id = NEW.run_id; END;
      CREATE TRIGGER samples_update_stales_windows AFTER UPDATE ON samples
        BEGIN DELETE FROM tool_windows_state WHERE run_id IN (OLD.run_id, NEW.run_id); END;
      CREATE TRIGGER samples_delete_stales_windows AFTER DELETE ON samples
        BEGIN DELETE FROM tool_windows_state WHERE run_id = OLD.run_id; END;
      CREATE TRIGGER runs_update_stales_windows AFTER UPDATE OF started_at, finished_at, session_id ON runs
        BEGIN DELETE FROM tool_windows_state WHERE run_id = NEW.id; END;
      -- A session's tool calls change with its trace lines (session_facts is recomputed for every session a
      -- commit touches) and when the canonical copy of a call moves between files.
      CREATE TRIGGER session_facts_insert_stales AFTER INSERT ON session_facts BEGIN
        DELETE FROM tool_call_groups_state WHERE session_id = NEW.session_id;
        DELETE FROM tool_windows_state WHERE run_id IN (SELECT id FROM runs WHERE session_id = NEW.session_id);
      END;
      CREATE TRIGGER session_facts_delete_stales AFTER DELETE ON session_facts BEGIN
        DELETE FROM tool_call_groups_state WHERE session_id = OLD.session_id;
        DELETE FROM tool_windows_state WHERE run_id IN (SELECT id FROM runs WHERE session_id = OLD.session_id);
      END;
      CREATE TRIGGER responses_insert_stales AFTER INSERT ON responses
        BEGIN DELETE FROM tool_call_groups_state WHERE session_id = NEW.session_id; END;
      CREATE TRIGGER responses_delete_stales AFTER DELETE ON responses
        BEGIN DELETE FROM tool_call_groups_state WHERE session_id = OLD.session_id; END;
      CREATE TRIGGER tool_uses_canonical_stales AFTER UPDATE OF canonical ON tool_uses BEGIN
        DELETE FROM tool_call_groups_state WHERE session_id = NEW.session_id;
        DELETE FROM tool_windows_state WHERE run_id IN (SELECT id FROM runs WHERE session_id = NEW.session_id);
      END;
      CREATE TRIGGER tool_results_canonical_stales AFTER UPDATE OF canonical ON tool_results BEGIN
        DELETE FROM tool_call_groups_state WHERE session_id IN (SELECT session_id FROM tool_uses WHERE tool_use_id = NEW.tool_use_id);
        DELETE FROM tool_windows_state WHERE run_id IN
          (SELECT r.id FROM runs r JOIN tool_uses u ON u.session_id = r.session_id WHERE u.tool_use_id = NEW.tool_use_id);
      END;
    `,
  },
];

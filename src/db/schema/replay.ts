// Replay (docs/replay.md): what agentpod records at a run's start so the run can be replayed later, each
// replay's link to the session it plays again, and per tool call whether the replay's result diverged.
import type { Migration } from '../migrate.js';

export const REPLAY_MIGRATIONS: Migration[] = [
  {
    name: 'replay-001-start-states-replays-tool-calls',
    sql: `
      -- The work dir's state when a plain run started (SWE-bench trials have theirs in runs.base_commit).
      CREATE TABLE run_start_states (
        run_id TEXT PRIMARY KEY REFERENCES runs(id),
        kind TEXT NOT NULL CHECK (kind IN ('git', 'image', 'none')),
        workdir TEXT NOT NULL,
        git_top TEXT,                      -- git: the repository's top-level folder
        git_head TEXT,                     -- git: HEAD
        git_changes INTEGER,               -- git: entries of git status (tracked changes and untracked files); 0 = clean
        image TEXT,                        -- image: the work dir lives in this image
        image_id TEXT,
        reason TEXT                        -- none: why there is nothing to recreate
      );

      CREATE TABLE replays (
        run_id TEXT PRIMARY KEY REFERENCES runs(id),   -- the replay's own run
        original_run_id TEXT,              -- NULL: a session agentpod did not run
        original_session_id TEXT NOT NULL,
        start_state TEXT NOT NULL,         -- trial, git or image
        think_time TEXT NOT NULL,          -- as given: original, none or a factor
        think_factor REAL NOT NULL,
        conversations INTEGER NOT NULL,
        script_steps INTEGER NOT NULL,
        steps_served INTEGER,
        past_end_requests INTEGER,         -- requests after a conversation's last recorded step
        tool_calls INTEGER NOT NULL,       -- the original's
        replayed_calls INTEGER,            -- of those, made again by the replay
        diverged_calls INTEGER,
        first_diverged_seq INTEGER,
        original_patch_sha256 TEXT,
        replay_patch_sha256 TEXT,
        error TEXT,                        -- why the replay was stopped (a request no step answers, ...)
        warnings TEXT                      -- JSON list: what of the recording could not be replayed
      );
      CREATE INDEX replays_original ON replays (original_session_id);

      CREATE TABLE replay_tool_calls (
        replay_run_id TEXT NOT NULL REFERENCES runs(id),
        seq INTEGER NOT NULL,              -- the call's place in the script (conversation by conversation)
        original_run_id TEXT,
        original_tool_use_id TEXT NOT NULL,
        replay_tool_use_id TEXT NOT NULL,
        conversation TEXT NOT NULL,        -- main, agent:<id> or sidechain:<uuid>
        step INTEGER NOT NULL,
        tool_name TEXT,
        original_is_error INTEGER, replay_is_error INTEGER,
        original_exit_code INTEGER, replay_exit_code INTEGER,   -- Bash only
        original_oom_kills INTEGER, replay_oom_kills INTEGER,   -- OOM kills the cgroup counted during the call
        original_output_sha256 TEXT, replay_output_sha256 TEXT,
        replayed INTEGER NOT NULL,         -- the replay made the call
        diverged INTEGER NOT NULL,
        reasons TEXT,                      -- comma-separated: missing, no-result, error, exit-code, oom-kill, output
        PRIMARY KEY (replay_run_id, seq)
      );
      CREATE INDEX replay_tool_calls_original ON replay_tool_calls (original_tool_use_id);
    `,
  },
];

// Claude Code traces in SQLite (docs/schema-traces.md). Per-line tables hold what each trace line says
// (keyed by file and line number, so re-reading a file replaces exactly its rows); `responses`,
// `session_facts` and the `canonical` flags are derived from them, recomputed for the keys a commit touches.
import type { Migration } from '../migrate.js';

export const TRACES_MIGRATIONS: Migration[] = [
  {
    name: 'traces-001-create',
    sql: `
      CREATE TABLE ingest_files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        project_dir TEXT,                 -- folder holding the session's main trace file
        file_session_id TEXT,             -- session id from the file name, for lines without sessionId
        file_agent_id TEXT,               -- subagents/agent-<id>.jsonl
        dev TEXT, ino TEXT, size INTEGER, mtime_ns TEXT, -- stat at the last pass that reached the end; NULL mid-file
        offset INTEGER NOT NULL DEFAULT 0,  -- byte offset after the last complete line consumed
        lines INTEGER NOT NULL DEFAULT 0,   -- complete lines consumed (the next line number - 1)
        prefix_hash TEXT,                 -- sha256 of the bytes before offset (first 4 KiB + last 64 KiB)
        derived_lines INTEGER NOT NULL DEFAULT 0, -- lines already folded into the derived tables
        parser_version INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
      );

      CREATE TABLE messages (
        file_id INTEGER NOT NULL REFERENCES ingest_files(id),
        line_no INTEGER NOT NULL,          -- 1-based
        byte_offset INTEGER NOT NULL,
        session_id TEXT,
        uuid TEXT,
        parent_uuid TEXT,
        type TEXT,                         -- user, assistant, attachment, queue-operation, ... (kept as found)
        timestamp_ms INTEGER,
        is_sidechain INTEGER,
        agent_id TEXT,
        cwd TEXT,
        version TEXT,
        git_branch TEXT,
        message_id TEXT,                   -- assistant lines: message.id, the response they belong to
        raw BLOB NOT NULL,                 -- the line's bytes (no newline), deflate-raw when raw_deflated = 1
        raw_deflated INTEGER NOT NULL,
        PRIMARY KEY (file_id, line_no)
      );
      CREATE INDEX messages_session ON messages (session_id, timestamp_ms);
      CREATE INDEX messages_uuid ON messages (uuid);

      -- One row per assistant line: the response's usage as that line saw it.
      CREATE TABLE response_lines (
        file_id INTEGER NOT NULL REFERENCES ingest_files(id),
        line_no INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        request_id TEXT,
        session_id TEXT,
        agent_id TEXT,
        is_sidechain INTEGER,
        timestamp_ms INTEGER,
        model TEXT,
        stop_reason TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_creation_input_tokens INTEGER,
        cache_read_input_tokens INTEGER,
        is_synthetic INTEGER NOT NULL,
        PRIMARY KEY (file_id, line_no)
      );
      CREATE INDEX response_lines_message ON response_lines (message_id);
      CREATE INDEX response_lines_session ON response_lines (session_id);

      -- One row per API response, counted once over all files; attributed to its earliest line.
      CREATE TABLE responses (
        message_id TEXT PRIMARY KEY,
        request_id TEXT,
        session_id TEXT,
        agent_id TEXT,
        is_sidechain INTEGER,
        model TEXT,
        stop_reason TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_creation_input_tokens INTEGER,
        cache_read_input_tokens INTEGER,
        is_synthetic INTEGER NOT NULL,     -- isApiErrorMessage or model <synthetic>: not a real API response
        first_ms INTEGER,
        last_ms INTEGER,
        line_count INTEGER NOT NULL,       -- lines carrying it, in all files
        file_id INTEGER NOT NULL,          -- the attributed line
        line_no INTEGER NOT NULL
      );
      CREATE INDEX responses_session ON responses (session_id);

      CREATE TABLE tool_uses (
        file_id INTEGER NOT NULL REFERENCES ingest_files(id),
        line_no INTEGER NOT NULL,
        block_index INTEGER NOT NULL,
        tool_use_id TEXT NOT NULL,
        session_id TEXT,
        agent_id TEXT,
        message_id TEXT,
        name TEXT,
        input TEXT,                        -- JSON
        command TEXT,                      -- Bash: input.command
        timestamp_ms INTEGER,
        canonical INTEGER NOT NULL DEFAULT 0, -- 1 on the occurrence tool_calls shows
        PRIMARY KEY (file_id, line_no, block_index)
      );
      CREATE INDEX tool_uses_id ON tool_uses (tool_use_id);

      CREATE TABLE tool_results (
        file_id INTEGER NOT NULL REFERENCES ingest_files(id),
        line_no INTEGER NOT NULL,
        block_index INTEGER NOT NULL,
        tool_use_id TEXT NOT NULL,
        timestamp_ms INTEGER,
        is_error INTEGER,
        result_bytes INTEGER,
        subagent_id TEXT,                  -- Task/Agent: toolUseResult.agentId
        canonical INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (file_id, line_no, block_index)
      );
      CREATE INDEX tool_results_id ON tool_results (tool_use_id);

      CREATE VIEW tool_calls AS
        SELECT u.tool_use_id, u.session_id, u.agent_id, u.message_id, u.name AS tool_name, u.input, u.command,
               r.subagent_id, u.timestamp_ms AS start_ms, r.timestamp_ms AS end_ms,
               r.timestamp_ms - u.timestamp_ms AS duration_ms, r.is_error, r.result_bytes
        FROM tool_uses u
        LEFT JOIN tool_results r ON r.tool_use_id = u.tool_use_id AND r.canonical = 1
        WHERE u.canonical = 1;

      CREATE TABLE session_facts (
        session_id TEXT PRIMARY KEY,
        project_dir TEXT,
        cwd TEXT,
        first_ms INTEGER,
        last_ms INTEGER,
        version TEXT,                      -- Claude Code version of the latest line that names one
        git_branch TEXT,
        models TEXT                        -- distinct response models, comma-separated, sorted
      );

      -- Joined, not stored: a session ingested before its run row exists is still linked.
      CREATE VIEW sessions AS
        SELECT s.*, r.id AS run_id
        FROM session_facts s LEFT JOIN runs r ON r.session_id = s.session_id;

      CREATE VIEW session_tokens AS
        SELECT session_id, COUNT(*) AS responses,
               SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
               SUM(cache_creation_input_tokens) AS cache_creation_input_tokens,
               SUM(cache_read_input_tokens) AS cache_read_input_tokens
        FROM responses WHERE is_synthetic = 0 GROUP BY session_id;

      CREATE TABLE ingest_errors (
        file_id INTEGER NOT NULL REFERENCES ingest_files(id),
        line_no INTEGER NOT NULL,
        byte_offset INTEGER NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (file_id, line_no)
      );
    `,
  },
  {
    name: 'traces-002-tool-uses-session-index',
    // Tool calls of given sessions (query --run / --batch) without scanning every call.
    sql: `CREATE INDEX tool_uses_session ON tool_uses (session_id);`,
  },
];

// Writes what the parser found. Every write is one IMMEDIATE transaction that first checks the file's
// recorded offset is still the one this process read from, so a second ingest process on the same
// database, or a kill at any moment, never leaves duplicated or half-written rows.
import type { Db } from '../db/open.js';
import { PARSER_VERSION, type TraceLine } from './parse.js';

export interface FileRow {
  id: number;
  path: string;
  file_session_id: string | null;
  file_agent_id: string | null;
  dev: string | null;
  ino: string | null;
  size: number | null;
  mtime_ns: string | null;
  offset: number;
  lines: number;
  prefix_hash: string | null;
  derived_lines: number;
  parser_version: number;
}

export interface FileContext {
  projectDir: string | null;
  sessionId: string | null;
  agentId: string | null;
}

export interface LineRecord {
  lineNo: number;
  byteOffset: number;
  raw: Buffer;
  deflated: 0 | 1;
  line: TraceLine;
}

export interface LineError {
  lineNo: number;
  byteOffset: number;
  reason: string;
}

export interface FilePosition {
  offset: number;
  lines: number;
}

export interface FileStat {
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
}

const bool = (v: boolean | null) => (v === null ? null : v ? 1 : 0);

export class TraceStore {
  private readonly stmt;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      getFile: p('SELECT * FROM ingest_files WHERE path = ?'),
      position: p('SELECT offset, lines, derived_lines FROM ingest_files WHERE id = ?'),
      addFile: p(`INSERT OR IGNORE INTO ingest_files (path, project_dir, file_session_id, file_agent_id, parser_version, updated_at_ms)
                  VALUES (@path, @projectDir, @sessionId, @agentId, ${PARSER_VERSION}, @now)`),
      advance: p(`UPDATE ingest_files SET offset = @offset, lines = @lines, prefix_hash = @prefixHash, dev = @dev, ino = @ino,
                    size = @size, mtime_ns = @mtimeNs, parser_version = ${PARSER_VERSION}, updated_at_ms = @now WHERE id = @id`),
      setDerived: p('UPDATE ingest_files SET derived_lines = ? WHERE id = ?'),
      resetFile: p(`UPDATE ingest_files SET offset = 0, lines = 0, derived_lines = 0, prefix_hash = NULL, size = NULL, mtime_ns = NULL,
                      parser_version = ${PARSER_VERSION}, updated_at_ms = ? WHERE id = ?`),
      insertMessage: p(`INSERT INTO messages (file_id, line_no, byte_offset, session_id, uuid, parent_uuid, type, timestamp_ms, is_sidechain,
                          agent_id, cwd, version, git_branch, message_id, raw, raw_deflated)
                        VALUES (@fileId, @lineNo, @byteOffset, @sessionId, @uuid, @parentUuid, @type, @timestampMs, @isSidechain,
                          @agentId, @cwd, @version, @gitBranch, @messageId, @raw, @deflated)`),
      insertResponseLine: p(`INSERT INTO response_lines (file_id, line_no, message_id, request_id, session_id, agent_id, is_sidechain, timestamp_ms,
                               model, stop_reason, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, is_synthetic)
                             VALUES (@fileId, @lineNo, @messageId, @requestId, @sessionId, @agentId, @isSidechain, @timestampMs,
                               @model, @stopReason, @input_tokens, @output_tokens, @cache_creation_input_tokens, @cache_read_input_tokens, @isSynthetic)`),
      insertToolUse: p(`INSERT INTO tool_uses (file_id, line_no, block_index, tool_use_id, session_id, agent_id, message_id, name, input, command, timestamp_ms)
                        VALUES (@fileId, @lineNo, @blockIndex, @id, @sessionId, @agentId, @messageId, @name, @input, @command, @timestampMs)`),
      insertToolResult: p(`INSERT INTO tool_results (file_id, line_no, block_index, tool_use_id, timestamp_ms, is_error, result_bytes, subagent_id)
                           VALUES (@fileId, @lineNo, @blockIndex, @toolUseId, @timestampMs, @isError, @resultBytes, @subagentId)`),
      insertError: p('INSERT INTO ingest_errors (file_id, line_no, byte_offset, reason) VALUES (?, ?, ?, ?)'),

      touchedSessions: p('SELECT DISTINCT session_id AS k FROM messages WHERE file_id = ? AND line_no > ? AND session_id IS NOT NULL'),
      touchedResponses: p('SELECT DISTINCT message_id AS k FROM response_lines WHERE file_id = ? AND line_no > ?'),
      touchedTools: p(`SELECT tool_use_id AS k FROM tool_uses WHERE file_id = @f AND line_no > @l
                       UNION SELECT tool_use_id FROM tool_results WHERE file_id = @f AND line_no > @l`),
      deleteFileRows: ['messages', 'response_lines', 'tool_uses', 'tool_results', 'ingest_errors'].map((t) => p(`DELETE FROM ${t} WHERE file_id = ?`)),

      deleteResponse: p('DELETE FROM responses WHERE message_id = ?'),
      // Usage: the maximum over the response's lines (early lines carry partial output_tokens).
      // Attribution: the earliest line (timestamp, then file path, then line number) — the same whatever order files come in.
      insertResponse: p(`
        INSERT INTO responses (message_id, request_id, session_id, agent_id, is_sidechain, model, stop_reason, input_tokens, output_tokens,
          cache_creation_input_tokens, cache_read_input_tokens, is_synthetic, first_ms, last_ms, line_count, file_id, line_no)
        SELECT a.message_id, g.request_id, a.session_id, a.agent_id, a.is_sidechain, COALESCE(a.model, g.model),
          (SELECT stop_reason FROM response_lines WHERE message_id = @id AND stop_reason IS NOT NULL
             ORDER BY timestamp_ms DESC, stop_reason LIMIT 1),
          g.input_tokens, g.output_tokens, g.cache_creation_input_tokens, g.cache_read_input_tokens, g.is_synthetic,
          g.first_ms, g.last_ms, g.line_count, a.file_id, a.line_no
        FROM (SELECT r.* FROM response_lines r JOIN ingest_files f ON f.id = r.file_id WHERE r.message_id = @id
              ORDER BY r.timestamp_ms IS NULL, r.timestamp_ms, f.path, r.line_no LIMIT 1) a,
             (SELECT MAX(request_id) AS request_id, MAX(model) AS model, MAX(input_tokens) AS input_tokens, MAX(output_tokens) AS output_tokens,
                MAX(cache_creation_input_tokens) AS cache_creation_input_tokens, MAX(cache_read_input_tokens) AS cache_read_input_tokens,
                MAX(is_synthetic) AS is_synthetic, MIN(timestamp_ms) AS first_ms, MAX(timestamp_ms) AS last_ms, COUNT(*) AS line_count
              FROM response_lines WHERE message_id = @id) g`),
      ...canonicalStatements(db, 'tool_uses'),
      ...canonicalStatements(db, 'tool_results'),

      deleteSession: p('DELETE FROM session_facts WHERE session_id = ?'),
      insertSession: p(`
        INSERT INTO session_facts (session_id, project_dir, cwd, first_ms, last_ms, version, git_branch, models)
        SELECT @id,
          (SELECT MIN(project_dir) FROM ingest_files WHERE id IN (SELECT DISTINCT file_id FROM messages WHERE session_id = @id)),
          (SELECT cwd FROM messages WHERE session_id = @id AND cwd IS NOT NULL ORDER BY timestamp_ms IS NULL, timestamp_ms, cwd LIMIT 1),
          MIN(timestamp_ms), MAX(timestamp_ms),
          (SELECT version FROM messages WHERE session_id = @id AND version IS NOT NULL ORDER BY timestamp_ms DESC, version DESC LIMIT 1),
          (SELECT git_branch FROM messages WHERE session_id = @id AND git_branch IS NOT NULL ORDER BY timestamp_ms DESC, git_branch DESC LIMIT 1),
          (SELECT group_concat(model, ',') FROM (SELECT DISTINCT model FROM response_lines
             WHERE session_id = @id AND model IS NOT NULL AND is_synthetic = 0 ORDER BY model))
        FROM messages WHERE session_id = @id HAVING COUNT(*) > 0`),
    };
  }

  getFile(path: string): FileRow | undefined {
    return this.stmt.getFile.get(path) as FileRow | undefined;
  }

  addFile(path: string, context: FileContext): FileRow {
    this.stmt.addFile.run({ path, ...context, now: Date.now() });
    return this.getFile(path)!;
  }

  /**
   * Appends lines [expected, next) of a file with its new position, atomically. `final` on the pass that
   * reached the end: it records the stat (the file is done up to it) and folds its new lines into the
   * derived tables. Returns false (writing nothing) when another process moved the file on meanwhile.
   */
  commit(file: FileRow, expected: FilePosition, lines: LineRecord[], errors: LineError[], next: FilePosition & { prefixHash: string | null }, stat: FileStat, final: boolean): boolean {
    return this.db
      .transaction(() => {
        const now = this.position(file.id);
        if (now.offset !== expected.offset || now.lines !== expected.lines) return false;
        for (const record of lines) this.insertLine(file, record);
        for (const e of errors) this.stmt.insertError.run(file.id, e.lineNo, e.byteOffset, e.reason);
        this.stmt.advance.run({
          id: file.id,
          offset: next.offset,
          lines: next.lines,
          prefixHash: next.prefixHash,
          dev: stat.dev,
          ino: stat.ino,
          size: final ? stat.size : null,
          mtimeNs: final ? stat.mtimeNs : null,
          now: Date.now(),
        });
        if (final) {
          this.refreshDerived(file.id, now.derived_lines);
          this.stmt.setDerived.run(next.lines, file.id);
        }
        return true;
      })
      .immediate();
  }

  /** Forgets a file's rows (it was replaced, truncated or parsed by an older parser) so it is re-read from the start. */
  reset(file: FileRow, expected: FilePosition): boolean {
    return this.db
      .transaction(() => {
        const now = this.position(file.id);
        if (now.offset !== expected.offset || now.lines !== expected.lines) return false;
        const keys = this.touchedKeys(file.id, 0);
        for (const del of this.stmt.deleteFileRows) del.run(file.id);
        this.stmt.resetFile.run(Date.now(), file.id);
        this.recompute(keys);
        return true;
      })
      .immediate();
  }

  private position(fileId: number): FilePosition & { derived_lines: number } {
    return this.stmt.position.get(fileId) as FilePosition & { derived_lines: number };
  }

  private insertLine(file: FileRow, { lineNo, byteOffset, raw, deflated, line }: LineRecord): void {
    const fileId = file.id;
    const sessionId = line.sessionId ?? file.file_session_id;
    const agentId = line.agentId ?? file.file_agent_id;
    const isSidechain = bool(line.isSidechain);
    const messageId = line.response?.messageId ?? null;
    const timestampMs = line.timestampMs;
    this.stmt.insertMessage.run({
      fileId, lineNo, byteOffset, sessionId, agentId, isSidechain, timestampMs, messageId, raw, deflated,
      uuid: line.uuid, parentUuid: line.parentUuid, type: line.type, cwd: line.cwd, version: line.version, gitBranch: line.gitBranch,
    });
    const r = line.response;
    if (r) {
      this.stmt.insertResponseLine.run({
        fileId, lineNo, sessionId, agentId, isSidechain, timestampMs, messageId: r.messageId, requestId: r.requestId,
        model: r.model, stopReason: r.stopReason, ...r.usage, isSynthetic: r.isSynthetic ? 1 : 0,
      });
    }
    for (const u of line.toolUses) this.stmt.insertToolUse.run({ fileId, lineNo, sessionId, agentId, messageId, timestampMs, ...u });
    for (const t of line.toolResults) {
      this.stmt.insertToolResult.run({ fileId, lineNo, timestampMs, ...t, isError: bool(t.isError) });
    }
  }

  private touchedKeys(fileId: number, afterLine: number) {
    const keys = (s: { all(...a: unknown[]): unknown[] }, ...a: unknown[]) => (s.all(...a) as { k: string }[]).map((r) => r.k);
    return {
      sessions: keys(this.stmt.touchedSessions, fileId, afterLine),
      responses: keys(this.stmt.touchedResponses, fileId, afterLine),
      tools: keys(this.stmt.touchedTools, { f: fileId, l: afterLine }),
    };
  }

  private refreshDerived(fileId: number, afterLine: number): void {
    this.recompute(this.touchedKeys(fileId, afterLine));
  }

  private recompute(keys: { sessions: string[]; responses: string[]; tools: string[] }): void {
    const s = this.stmt;
    for (const id of keys.responses) {
      s.deleteResponse.run(id);
      s.insertResponse.run({ id });
    }
    for (const id of keys.tools) {
      s.tool_usesClear.run(id);
      s.tool_usesPick.run(id);
      s.tool_resultsClear.run(id);
      s.tool_resultsPick.run(id);
    }
    for (const id of keys.sessions) {
      s.deleteSession.run(id);
      s.insertSession.run({ id });
    }
  }
}

/** Statements that mark the one occurrence of a tool_use id (in tool_uses or tool_results) that tool_calls shows: the earliest. */
function canonicalStatements<T extends 'tool_uses' | 'tool_results'>(db: Db, table: T) {
  return {
    [`${table}Clear`]: db.prepare(`UPDATE ${table} SET canonical = 0 WHERE tool_use_id = ? AND canonical = 1`),
    [`${table}Pick`]: db.prepare(`
      UPDATE ${table} SET canonical = 1 WHERE rowid = (
        SELECT t.rowid FROM ${table} t JOIN ingest_files f ON f.id = t.file_id WHERE t.tool_use_id = ?
        ORDER BY t.timestamp_ms IS NULL, t.timestamp_ms, f.path, t.line_no, t.block_index LIMIT 1)`),
  } as Record<`${T}Clear` | `${T}Pick`, ReturnType<Db['prepare']>>;
}

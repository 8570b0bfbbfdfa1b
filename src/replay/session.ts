// A recorded session as replay reads it from the database: its user and assistant trace lines, each once.
import type { Db } from '../db/open.js';
import { decodeRawLine } from '../ingest/raw.js';
import type { SessionLine } from './extract.js';

interface LineRow {
  path: string;
  line_no: number;
  uuid: string;
  parent_uuid: string | null;
  type: string;
  timestamp_ms: number | null;
  is_sidechain: number | null;
  agent_id: string | null;
  raw: Buffer;
  raw_deflated: number;
}

/**
 * The session's user and assistant lines, main file and subagent files alike. A line that was ingested from
 * several files (the run folder's copy of a trace, say) is taken once, from its earliest place (timestamp, then
 * path, then line), so copies never double a conversation.
 */
export function loadSessionLines(db: Db, sessionId: string): SessionLine[] {
  const rows = db
    .prepare(
      `SELECT f.path, m.line_no, m.uuid, m.parent_uuid, m.type, m.timestamp_ms, m.is_sidechain, m.agent_id, m.raw, m.raw_deflated
       FROM messages m JOIN ingest_files f ON f.id = m.file_id
       WHERE m.session_id = ? AND m.uuid IS NOT NULL AND m.type IN ('user', 'assistant')
       ORDER BY m.timestamp_ms IS NULL, m.timestamp_ms, f.path, m.line_no`,
    )
    .all(sessionId) as LineRow[];
  const seen = new Set<string>();
  const lines: SessionLine[] = [];
  for (const row of rows) {
    if (seen.has(row.uuid)) continue;
    seen.add(row.uuid);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(decodeRawLine(row)) as Record<string, unknown>;
    } catch {
      continue; // ingest keeps only lines that parsed; a row that does not is not a conversation line
    }
    lines.push({
      path: row.path,
      lineNo: row.line_no,
      uuid: row.uuid,
      parentUuid: row.parent_uuid,
      type: row.type,
      timestampMs: row.timestamp_ms,
      isSidechain: row.is_sidechain === 1,
      agentId: row.agent_id,
      json,
    });
  }
  return lines;
}

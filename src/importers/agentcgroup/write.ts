// The writer: an attempt's rows in one transaction (a kill leaves the attempt wholly imported or not at all),
// and what an ingested trace file says about its session.
import type { Db } from '../../db/open.js';
import { ConfigError } from '../../errors.js';
import { decodeRawLine } from '../../ingest/raw.js';
import { PODMAN_STATS_SOURCE } from './formats.js';
import { ORIGIN, type MappedAttempt, type RunRow, type TraceFacts } from './map.js';

function insertRow(db: Db, table: string, row: RunRow): void {
  const keys = Object.keys(row);
  db.prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`).run(row);
}

/** The data set's batch row; a batch of that id that agentpod launched itself is not written into. */
export function ensureBatch(db: Db, batchId: string, dir: string, now: number): void {
  const existing = db.prepare('SELECT origin FROM batches WHERE id = ?').get(batchId) as { origin: string } | undefined;
  if (existing && existing.origin !== ORIGIN) throw new ConfigError(`batch ${batchId} already exists and holds agentpod's own runs; import under another name (--batch NAME)`);
  if (existing) return;
  insertRow(db, 'batches', { id: batchId, name: batchId, tasks_file: dir, profiles: '["unlimited"]', created_at: now, finished_at: now, status: 'done', origin: ORIGIN });
}

/** The run already imported from this attempt folder (under any batch name), if any. */
export function importedRunOf(db: Db, runId: string, attemptDir: string): string | null {
  const row = db.prepare('SELECT id FROM runs WHERE id = ? OR (origin = ? AND run_dir = ?) LIMIT 1').get(runId, ORIGIN, attemptDir) as { id: string } | undefined;
  return row?.id ?? null;
}

/** The clock offset earlier imports found for a data set (for attempts imported later that have no sample). */
export function importedSetOffset(db: Db, dataSet: string): number | null {
  const row = db
    .prepare('SELECT utc_offset_min FROM imported_runs WHERE data_set = ? AND utc_offset_min IS NOT NULL GROUP BY utc_offset_min ORDER BY COUNT(*) DESC LIMIT 1')
    .get(dataSet) as { utc_offset_min: number } | undefined;
  return row?.utc_offset_min ?? null;
}

export interface WriteOutcome {
  samples: number;
  toolWindows: number;
  problems: string[];
}

export function writeAttempt(db: Db, m: MappedAttempt): WriteOutcome {
  const problems: string[] = [];
  db.transaction(() => {
    const run = { ...m.run };
    const owner = db.prepare('SELECT id FROM runs WHERE session_id = ?').get(run.session_id) as { id: string } | undefined;
    if (owner) {
      problems.push(`trace session ${run.session_id} already belongs to run ${owner.id}; not linked`);
      run.session_id = `imported:${m.runId}`;
    }
    insertRow(db, 'runs', run);
    insertRow(db, 'imported_runs', m.imported);
    const sample = db.prepare(
      `INSERT INTO samples (run_id, t_ms, source, memory_current_bytes, cpu_percent, flag) VALUES (?, ?, '${PODMAN_STATS_SOURCE}', ?, ?, ?)`,
    );
    for (const s of m.samples) sample.run(m.runId, s.tMs, s.memoryBytes, s.cpuPercent, s.flag);
    const window = db.prepare('INSERT INTO imported_tool_calls (run_id, seq, tool_use_id, tool_name, input, command, start_ms, end_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (const w of m.toolWindows) window.run(m.runId, w.seq, w.toolUseId, w.toolName, w.input, w.command, w.startMs, w.endMs);
  })();
  return { samples: m.samples.length, toolWindows: m.toolWindows.length, problems };
}

export function recordSelfCheck(db: Db, runId: string, result: string): void {
  db.prepare('UPDATE imported_runs SET self_check = ? WHERE run_id = ?').run(result, runId);
}

/** The first prompt of a user line: a string, or the text blocks of a list. */
function promptOf(line: string): string | null {
  try {
    const content = (JSON.parse(line) as { message?: { content?: unknown } }).message?.content;
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) {
      const texts = content.filter((b) => b && b.type === 'text' && typeof b.text === 'string').map((b) => b.text as string);
      return texts.length ? texts.join('\n') : null;
    }
  } catch {
    // not JSON: no prompt
  }
  return null;
}

/** The session of an ingested trace file, its main model and first prompt; null when no line names a session. */
export function traceFacts(db: Db, tracePath: string): TraceFacts | null {
  const file = db.prepare('SELECT id FROM ingest_files WHERE path = ?').get(tracePath) as { id: number } | undefined;
  if (!file) return null;
  const session = db
    .prepare('SELECT session_id FROM messages WHERE file_id = ? AND session_id IS NOT NULL GROUP BY session_id ORDER BY COUNT(*) DESC, session_id LIMIT 1')
    .get(file.id) as { session_id: string } | undefined;
  if (!session) return null;
  const model = db
    .prepare(
      `SELECT model FROM response_lines WHERE file_id = ? AND is_synthetic = 0 AND COALESCE(is_sidechain, 0) = 0 AND model IS NOT NULL
       GROUP BY model ORDER BY COUNT(DISTINCT message_id) DESC, model LIMIT 1`,
    )
    .get(file.id) as { model: string } | undefined;
  const firstUser = db
    .prepare(`SELECT raw, raw_deflated FROM messages WHERE file_id = ? AND type = 'user' AND COALESCE(is_sidechain, 0) = 0 ORDER BY line_no LIMIT 1`)
    .get(file.id) as { raw: Buffer; raw_deflated: number } | undefined;
  return { sessionId: session.session_id, model: model?.model ?? null, prompt: firstUser ? promptOf(decodeRawLine(firstUser)) : null };
}

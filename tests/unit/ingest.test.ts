import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { ingestPaths } from '../../src/ingest/index.js';
import { decodeRawLine } from '../../src/ingest/raw.js';

const fixtures = resolve(import.meta.dirname, '..', '..', 'traces', 'fixtures');
const cliFixture = join(fixtures, 'cli');
const edge = join(fixtures, 'edge');

const open: Db[] = [];
function freshDb(): Db {
  const db = openDb(join(mkdtempSync(join(tmpdir(), 'agentpod-ingest-')), 'a.db'));
  open.push(db);
  return db;
}
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});
const tempDir = () => mkdtempSync(join(tmpdir(), 'agentpod-traces-'));

const TABLES = ['messages', 'response_lines', 'responses', 'tool_uses', 'tool_results', 'tool_calls', 'session_facts', 'ingest_errors'];
/** Everything an ingest produces, minus file ids and paths (which differ between databases). */
function snapshot(db: Db) {
  const counts = Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
  return {
    counts,
    responses: db.prepare('SELECT message_id, session_id, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, stop_reason, line_count FROM responses ORDER BY message_id').all(),
    toolCalls: db.prepare('SELECT tool_use_id, tool_name, start_ms, end_ms, is_error, result_bytes, subagent_id FROM tool_calls ORDER BY tool_use_id').all(),
    sessions: db.prepare('SELECT session_id, cwd, first_ms, last_ms, version, models FROM session_facts ORDER BY session_id').all(),
    tokens: db.prepare('SELECT * FROM session_tokens ORDER BY session_id').all(),
  };
}

/** A hand count: per session, the usage of each response's last line, summed (independent of the ingest code). */
function handCount(files: string[]) {
  const last = new Map<string, { session: string; usage: Record<string, number> }>();
  for (const f of files)
    for (const text of readFileSync(f, 'utf8').split('\n')) {
      if (!text.trim()) continue;
      const line = JSON.parse(text);
      if (line.type === 'assistant' && line.message?.id && line.message.model !== '<synthetic>') last.set(line.message.id, { session: line.sessionId, usage: line.message.usage });
    }
  const totals: Record<string, { responses: number; output_tokens: number; input_tokens: number }> = {};
  for (const { session, usage } of last.values()) {
    totals[session] ??= { responses: 0, output_tokens: 0, input_tokens: 0 };
    totals[session].responses++;
    totals[session].output_tokens += usage.output_tokens;
    totals[session].input_tokens += usage.input_tokens;
  }
  return totals;
}

const cliFiles = () => {
  const out: string[] = [];
  for (const name of readdirSync(cliFixture, { recursive: true, encoding: 'utf8' })) if (name.endsWith('.jsonl')) out.push(join(cliFixture, name));
  return out;
};

describe('ingest of a real Claude Code 2.1 trace (traces/fixtures/cli)', () => {
  it('counts each response once with its final usage, per session', async () => {
    const db = freshDb();
    const summary = await ingestPaths(db, [cliFixture]);
    expect(summary).toMatchObject({ filesSeen: 2, filesParsed: 2, errors: 0 });
    const lines = cliFiles().reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).length, 0);
    expect(summary.lines).toBe(lines);
    const tokens = db.prepare('SELECT session_id, responses, input_tokens, output_tokens FROM session_tokens').all() as { session_id: string }[];
    expect(Object.fromEntries(tokens.map(({ session_id, ...t }) => [session_id, t]))).toEqual(handCount(cliFiles()));
  });

  it('finds tool calls with their results, errors, the subagent and its own calls', async () => {
    const db = freshDb();
    await ingestPaths(db, [cliFixture]);
    const calls = db.prepare('SELECT * FROM tool_calls ORDER BY start_ms, tool_use_id').all() as Record<string, unknown>[];
    const subagentFile = readdirSync(join(cliFixture, '00000000-0000-4000-8000-00000000f1c5', 'subagents')).find((n) => n.endsWith('.jsonl'))!;
    const agentId = subagentFile.replace(/^agent-|\.jsonl$/g, '');
    expect(calls.map((c) => c.tool_name)).toEqual(['Bash', 'Read', 'Bash', 'Agent', 'Bash']);
    expect(calls[0].command).toBe('ls -1 && echo ünïcödé-✓');
    expect(calls.map((c) => c.is_error)).toEqual([0, null, 1, null, 0]);
    expect(calls[3].subagent_id).toBe(agentId);
    expect(calls[4]).toMatchObject({ agent_id: agentId, command: 'ls -1 | wc -l' });
    for (const c of calls) {
      expect(c.end_ms as number).toBeGreaterThanOrEqual(c.start_ms as number);
      expect(c.duration_ms).toBe((c.end_ms as number) - (c.start_ms as number));
      expect(c.result_bytes as number).toBeGreaterThan(0);
    }
  });

  it('records the session: cwd, version, branch, models, time span', async () => {
    const db = freshDb();
    await ingestPaths(db, [cliFixture]);
    const s = db.prepare('SELECT * FROM sessions').get() as Record<string, unknown>;
    const first = JSON.parse(readFileSync(cliFiles().find((f) => !f.includes('subagents'))!, 'utf8').split('\n').find((l) => l.includes('"cwd"'))!);
    expect(s).toMatchObject({ session_id: '00000000-0000-4000-8000-00000000f1c5', cwd: first.cwd, version: first.version, project_dir: cliFixture, run_id: null });
    expect(s.models).toMatch(/^claude-/);
    expect(s.last_ms as number).toBeGreaterThan(s.first_ms as number);
  });

  it('re-ingesting unchanged files parses nothing and changes nothing', async () => {
    const db = freshDb();
    await ingestPaths(db, [cliFixture]);
    const before = snapshot(db);
    const again = await ingestPaths(db, [cliFixture]);
    expect(again).toMatchObject({ filesSeen: 2, filesParsed: 0, filesSkipped: 2, lines: 0, bytes: 0 });
    expect(snapshot(db)).toEqual(before);
  });

  it('links a session to the run that launched it, also when the run row comes later', async () => {
    const db = freshDb();
    await ingestPaths(db, [cliFixture]);
    db.prepare(`INSERT INTO runs (id, status, started_at, image, profile, workdir, share_mode, session_id, container_name, run_dir, prompt_bytes, prompt_sha256, owner_pid, owner_host)
                VALUES ('run-1', 'running', 0, 'img', 'default', '/w', 'host', '00000000-0000-4000-8000-00000000f1c5', 'c', '/r', 1, 'x', 1, 'h')`).run();
    expect(db.prepare('SELECT run_id FROM sessions').get()).toEqual({ run_id: 'run-1' });
  });
});

describe('incremental ingest', () => {
  const mainFixture = () => readFileSync(join(cliFixture, '00000000-0000-4000-8000-00000000f1c5.jsonl'));

  async function cleanSnapshot(content: Buffer | string) {
    const dir = tempDir();
    writeFileSync(join(dir, 'clean.jsonl'), content);
    const db = freshDb();
    await ingestPaths(db, [dir]);
    return snapshot(db);
  }

  it('reads appended lines from the offset and leaves an incomplete final line until it is complete', async () => {
    const whole = mainFixture();
    const cut = whole.indexOf(10, Math.floor(whole.length / 2)) + 40; // mid-line
    const dir = tempDir();
    const path = join(dir, 'grow.jsonl');
    writeFileSync(path, whole.subarray(0, cut));
    const db = freshDb();
    const first = await ingestPaths(db, [dir]);
    const completeLines = whole.subarray(0, cut).toString().split('\n').length - 1;
    expect(first.lines).toBe(completeLines);
    expect(first.bytes).toBe(whole.lastIndexOf(10, cut) + 1);
    appendFileSync(path, whole.subarray(cut));
    const second = await ingestPaths(db, [dir]);
    expect(second).toMatchObject({ filesParsed: 1, filesReread: 0, bytes: whole.length - first.bytes });
    expect(snapshot(db)).toEqual(await cleanSnapshot(whole));
  });

  it('re-reads a rewritten, truncated or replaced file without duplicating rows', async () => {
    const whole = mainFixture();
    const other = readFileSync(join(edge, 'unknown-types.jsonl'));
    const dir = tempDir();
    const path = join(dir, 'f.jsonl');
    writeFileSync(path, whole);
    const db = freshDb();
    await ingestPaths(db, [dir]);

    // Same size, other bytes, in place.
    const rewritten = Buffer.from(whole.toString().replace(/ünïcödé/g, 'unicode'.padEnd(11, '_')));
    expect(rewritten.length).toBe(whole.length);
    writeFileSync(path, rewritten);
    expect(await ingestPaths(db, [dir])).toMatchObject({ filesReread: 1 });
    expect(snapshot(db)).toEqual(await cleanSnapshot(rewritten));

    // Truncated.
    truncateSync(path, whole.indexOf(10, 5000) + 1);
    expect(await ingestPaths(db, [dir])).toMatchObject({ filesReread: 1 });
    expect(snapshot(db)).toEqual(await cleanSnapshot(readFileSync(path)));

    // Replaced by another file (new inode), longer than before.
    const replacement = join(dir, 'new.tmp');
    writeFileSync(replacement, Buffer.concat([other, whole]));
    renameSync(replacement, path);
    expect(await ingestPaths(db, [dir])).toMatchObject({ filesReread: 1 });
    expect(snapshot(db)).toEqual(await cleanSnapshot(readFileSync(path)));
  });

  it('re-reads everything after a parser version change', async () => {
    const db = freshDb();
    await ingestPaths(db, [cliFixture]);
    const before = snapshot(db);
    db.prepare('UPDATE ingest_files SET parser_version = 0').run();
    expect(await ingestPaths(db, [cliFixture])).toMatchObject({ filesReread: 2 });
    expect(snapshot(db)).toEqual(before);
  });

  it('keeps rows when the file disappears', async () => {
    const dir = tempDir();
    cpSync(cliFixture, dir, { recursive: true });
    const db = freshDb();
    await ingestPaths(db, [dir]);
    const before = snapshot(db);
    renameSync(dir, `${dir}.gone`);
    mkdirSync(dir);
    expect(await ingestPaths(db, [dir])).toMatchObject({ filesSeen: 0 });
    expect(snapshot(db)).toEqual(before);
  });
});

describe('edge cases', () => {
  it('records malformed lines in ingest_errors and goes on', async () => {
    const db = freshDb();
    const summary = await ingestPaths(db, [join(edge, 'malformed.jsonl')]);
    expect(summary.errors).toBe(2);
    expect(db.prepare('SELECT line_no, reason FROM ingest_errors ORDER BY line_no').all()).toEqual([
      { line_no: 2, reason: expect.stringContaining('invalid JSON') },
      { line_no: 3, reason: 'not a JSON object (array)' },
    ]);
    expect(db.prepare('SELECT line_no FROM messages ORDER BY line_no').all()).toEqual([{ line_no: 1 }, { line_no: 5 }]);
  });

  it('stores unknown line types as they are', async () => {
    const db = freshDb();
    const path = join(edge, 'unknown-types.jsonl');
    await ingestPaths(db, [path]);
    const rows = db.prepare('SELECT type, raw, raw_deflated FROM messages ORDER BY line_no').all() as { type: string; raw: Buffer; raw_deflated: number }[];
    expect(rows.map((r) => r.type)).toEqual(['queue-operation', 'ai-title', 'some-future-type', 'progress', 'system', 'last-prompt']);
    expect(rows.map((r) => decodeRawLine(r)).join('\n') + '\n').toBe(readFileSync(path, 'utf8'));
  });

  it('marks synthetic API error messages and leaves them out of token totals', async () => {
    const db = freshDb();
    await ingestPaths(db, [join(edge, 'synthetic-error.jsonl')]);
    expect(db.prepare('SELECT model, is_synthetic FROM responses').all()).toEqual([{ model: '<synthetic>', is_synthetic: 1 }]);
    expect(db.prepare('SELECT * FROM session_tokens').all()).toEqual([]);
  });

  it('keeps a huge unicode tool_result whole (compressed) and measures it in bytes', async () => {
    const dir = tempDir();
    const content = '日本語 ✓ ünïcödé\n'.repeat(200_000);
    const line = JSON.stringify({ type: 'user', sessionId: 's', timestamp: '2026-01-01T00:00:01Z', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content }] } });
    const use = JSON.stringify({ type: 'assistant', sessionId: 's', timestamp: '2026-01-01T00:00:00Z', message: { id: 'm1', content: [{ type: 'tool_use', id: 't1', name: 'Read', input: {} }] } });
    writeFileSync(join(dir, 'big.jsonl'), `${use}\n${line}\n`);
    const db = freshDb();
    await ingestPaths(db, [dir]);
    expect(db.prepare('SELECT result_bytes, duration_ms FROM tool_calls').get()).toEqual({ result_bytes: Buffer.byteLength(content), duration_ms: 1000 });
    const row = db.prepare('SELECT raw, raw_deflated FROM messages WHERE line_no = 2').get() as { raw: Buffer; raw_deflated: number };
    expect(row.raw_deflated).toBe(1);
    expect(row.raw.length).toBeLessThan(Buffer.byteLength(line) / 10);
    expect(decodeRawLine(row)).toBe(line);
  });

  it('counts a response replayed in another session file once, attributed to its earliest line', async () => {
    const dir = tempDir();
    const original = readFileSync(join(cliFixture, '00000000-0000-4000-8000-00000000f1c5.jsonl'), 'utf8');
    const replayed = original
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const obj = JSON.parse(l);
        obj.sessionId = '99999999-9999-4999-8999-999999999999';
        if (obj.timestamp) obj.timestamp = new Date(Date.parse(obj.timestamp) + 60_000).toISOString(); // written later, by a resume
        return JSON.stringify(obj);
      })
      .join('\n');
    writeFileSync(join(dir, 'a.jsonl'), `${replayed}\n`);
    const db = freshDb();
    await ingestPaths(db, [dir]);
    const alone = db.prepare('SELECT COUNT(*) AS n FROM responses').get();
    writeFileSync(join(dir, 'b.jsonl'), original);
    await ingestPaths(db, [dir]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM responses').get()).toEqual(alone);
    expect(db.prepare('SELECT DISTINCT session_id FROM responses').all()).toEqual([{ session_id: '00000000-0000-4000-8000-00000000f1c5' }]);
    const linesPerResponse = new Map<string, number>();
    for (const l of original.split('\n').filter(Boolean)) {
      const id = JSON.parse(l).message?.id;
      if (id) linesPerResponse.set(id, (linesPerResponse.get(id) ?? 0) + 1);
    }
    const counted = db.prepare('SELECT message_id, line_count FROM responses').all() as { message_id: string; line_count: number }[];
    expect(Object.fromEntries(counted.map((r) => [r.message_id, r.line_count]))).toEqual(Object.fromEntries([...linesPerResponse].map(([id, n]) => [id, 2 * n])));
  });
});

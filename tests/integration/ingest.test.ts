// Ingest against real things: a fresh trace from the real Claude Code CLI, the built CLI killed with
// SIGKILL mid-ingest, two ingest processes at once, and the watcher following a growing file.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { generateTrace, type GeneratedTrace } from '../../src/ingest/fixtures.js';
import { ingestPaths, sessionTracePaths, startTraceWatch } from '../../src/ingest/index.js';
import { logNormalSizes, writeSyntheticCorpus, type CorpusExpectation } from '../../src/ingest/synthetic.js';
import { cliPath, repoRoot, testUserName } from '../helpers/user.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'agentpod-ingest-it-'));
const ingestCli = (args: string[]) => execa(process.execPath, [cliPath, 'ingest', ...args], { reject: false });

function counts(dbPath: string) {
  const db = openDb(dbPath);
  try {
    const n = (sql: string) => db.prepare(sql).get();
    return {
      messages: n('SELECT COUNT(*) AS n FROM messages'),
      responses: n('SELECT COUNT(*) AS n, SUM(output_tokens) AS out, SUM(input_tokens) AS inp FROM responses'),
      responseLines: n('SELECT COUNT(*) AS n FROM response_lines'),
      toolCalls: n('SELECT COUNT(*) AS n, SUM(result_bytes) AS bytes, SUM(end_ms IS NOT NULL) AS ended FROM tool_calls'),
      canonical: n('SELECT (SELECT COUNT(*) FROM tool_uses WHERE canonical = 1) AS uses, (SELECT COUNT(*) FROM tool_results WHERE canonical = 1) AS results'),
      sessions: n('SELECT COUNT(*) AS n, SUM(first_ms) AS first, SUM(last_ms) AS last FROM session_facts'),
      files: n('SELECT COUNT(*) AS n, SUM(offset) AS bytes, SUM(lines) AS lines FROM ingest_files'),
    };
  } finally {
    db.close();
  }
}

describe('a fresh trace from the real Claude Code CLI', () => {
  let trace: GeneratedTrace;
  beforeAll(async () => {
    trace = await generateTrace({
      scriptFile: join(repoRoot, 'traces', 'scripts', 'fixture-session.yaml'),
      prompt: 'Do the fixture task',
      sessionId: crypto.randomUUID(),
      user: testUserName,
      claude: join(repoRoot, 'node_modules', '.bin', 'claude'),
      files: { 'notes.txt': 'hello notes\n' },
    });
  });
  afterAll(() => {
    if (!trace) return;
    rmSync(trace.workdir, { recursive: true, force: true });
    rmSync(dirname(trace.tracePath), { recursive: true, force: true });
  });

  it('is ingested by `agentpod ingest` with the tool calls, the subagent and the final usage of every response', async () => {
    expect(trace.subagentDir, 'the Agent tool should have written a subagent file').not.toBeNull();
    const dbPath = join(tempDir(), 'a.db');
    const result = await ingestCli([...sessionTracePaths(trace.tracePath), '--db', dbPath, '--json']);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const summary = JSON.parse(String(result.stdout));
    expect(summary).toMatchObject({ filesSeen: 2, filesParsed: 2, errors: 0 });

    // The stream-json result line reports the main conversation's final turn; the trace has every response.
    const db = openDb(dbPath);
    const calls = db.prepare('SELECT tool_name, is_error, subagent_id, agent_id FROM tool_calls ORDER BY start_ms').all() as Record<string, unknown>[];
    expect(calls.map((c) => c.tool_name)).toEqual(['Bash', 'Read', 'Bash', 'Agent', 'Bash']);
    expect(calls[2].is_error).toBe(1);
    expect(calls[3].subagent_id).toBe(calls[4].agent_id);
    const lastUsage = new Map<string, number>();
    for (const file of [trace.tracePath, join(trace.subagentDir!, (await import('node:fs')).readdirSync(trace.subagentDir!).find((n) => n.endsWith('.jsonl'))!)])
      for (const l of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        const obj = JSON.parse(l);
        if (obj.type === 'assistant') lastUsage.set(obj.message.id, obj.message.usage.output_tokens);
      }
    expect(db.prepare('SELECT session_id, responses, output_tokens FROM session_tokens').all()).toEqual([
      { session_id: trace.sessionId, responses: lastUsage.size, output_tokens: [...lastUsage.values()].reduce((a, b) => a + b, 0) },
    ]);
    db.close();
  });
});

describe('a large corpus', () => {
  let corpus: string;
  let expected: CorpusExpectation;
  let clean: ReturnType<typeof counts>;
  beforeAll(async () => {
    corpus = tempDir();
    expected = await writeSyntheticCorpus(corpus, logNormalSizes(150, 60_000, 8e6, 11), 5);
    const dbPath = join(tempDir(), 'clean.db');
    const r = await ingestCli([corpus, '--db', dbPath, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    clean = counts(dbPath);
  });
  afterAll(() => rmSync(corpus, { recursive: true, force: true }));

  it('is ingested completely', () => {
    expect(clean.responses).toMatchObject({ n: expected.responses, out: expected.outputTokens });
    expect(clean.toolCalls).toMatchObject({ n: expected.toolCalls, ended: expected.toolCalls });
    expect(clean.files).toMatchObject({ n: expected.files, bytes: expected.bytes, lines: expected.lines });
  });

  it('after kill -9 at several moments, a rerun gives the rows of a clean ingest', async () => {
    const dbPath = join(tempDir(), 'killed.db');
    let killedMidway = 0;
    for (const afterMs of [150, 300, 600]) {
      const child = execa(process.execPath, [cliPath, 'ingest', corpus, '--db', dbPath], { reject: false });
      await new Promise((r) => setTimeout(r, afterMs));
      child.kill('SIGKILL');
      const r = await child;
      if (r.signal === 'SIGKILL') killedMidway++;
    }
    expect(killedMidway, 'the ingest should still have been running when killed').toBeGreaterThan(0);
    const rerun = await ingestCli([corpus, '--db', dbPath]);
    expect(rerun.exitCode, String(rerun.stderr)).toBe(0);
    expect(counts(dbPath)).toEqual(clean);
  });

  it('two ingest processes at once on one database give the same rows', async () => {
    const dbPath = join(tempDir(), 'two.db');
    const [a, b] = await Promise.all([ingestCli([corpus, '--db', dbPath, '--json']), ingestCli([corpus, '--db', dbPath, '--json'])]);
    expect(a.exitCode, String(a.stderr)).toBe(0);
    expect(b.exitCode, String(b.stderr)).toBe(0);
    expect(counts(dbPath)).toEqual(clean);
  });
});

describe('startTraceWatch', () => {
  it('follows a trace file that appears after the start and grows; flush has every complete line', async () => {
    const fixture = readFileSync(join(repoRoot, 'traces', 'fixtures', 'cli', '00000000-0000-4000-8000-00000000f1c5.jsonl'), 'utf8').split('\n').filter(Boolean);
    const dir = tempDir();
    const tracePath = join(dir, 'projects', '-work', '00000000-0000-4000-8000-00000000f1c5.jsonl');
    const db: Db = openDb(join(tempDir(), 'w.db'));
    const ingested: number[] = [];
    const watch = await startTraceWatch(db, sessionTracePaths(tracePath), { onIngest: (s) => ingested.push(s.lines), pollMs: 50, debounceMs: 20 });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dirname(tracePath), { recursive: true });
    const half = Math.floor(fixture.length / 2);
    appendFileSync(tracePath, fixture.slice(0, half).join('\n') + '\n');
    // The watcher ingests by itself, without flush.
    for (let i = 0; i < 100 && (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n < half; i++) await new Promise((r) => setTimeout(r, 50));
    expect(db.prepare('SELECT COUNT(*) AS n FROM messages').get()).toEqual({ n: half });
    appendFileSync(tracePath, fixture.slice(half).join('\n') + '\n{"type":"user","partial');
    const summary = await watch.flush();
    expect(summary.errors).toBe(0);
    expect(db.prepare('SELECT COUNT(*) AS n FROM messages').get()).toEqual({ n: fixture.length });
    await watch.close();
    expect(ingested.reduce((a, b) => a + b, 0) + summary.lines).toBeLessThanOrEqual(fixture.length);
    db.close();
  });
});

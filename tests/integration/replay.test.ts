// `agentpod replay` for real: originals recorded by the real Claude Code CLI against the scripted API in rootless
// podman, then replayed by agentpod's own scripted server (no API, no key): a SWE-bench trial, a plain run in a
// git work dir with a Task subagent and parallel calls, and the ways a replay is refused.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calcImageSpec } from '../../src/bench/test-images.js';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { fixedImageName } from '../../src/swebench/image-name.js';
import { gitAsTestUser, gitWorkdir } from '../helpers/git.js';
import { startScriptedApi } from '../helpers/mock.js';
import { buildTestImage, removeTestImages } from '../helpers/testbed.js';
import { agentpod, containersOfRun, testUser, userTempDir } from '../helpers/user.js';

/** Think time dominates: each turn waits 6 s before the model "answers". */
const TRIAL_SCRIPT = `
turns:
  - delay_ms: 6000
    content:
      - { type: text, text: "Reading the code." }
      - { type: tool_use, name: Bash, input: { command: "python3 check.py || true" } }
      - { type: tool_use, name: Read, input: { file_path: /testbed/calc.py } }
  - delay_ms: 6000
    content:
      - { type: tool_use, name: Edit, input: { file_path: /testbed/calc.py, old_string: "return a - b", new_string: "return a + b" } }
  - delay_ms: 6000
    content:
      - { type: tool_use, name: Bash, input: { command: "python3 check.py" } }
  - delay_ms: 6000
    content:
      - { type: text, text: "Fixed." }
`;

/** Warms the fixed image and podman's caches, so the original is not the machine's first run of it. */
const WARM_SCRIPT = `
turns:
  - content:
      - { type: text, text: "Nothing to do." }
`;

/** Two calls in one response, a Task subagent with a call of its own, an edit of the work dir. */
const SUBAGENT_SCRIPT = `
turns:
  - content:
      - { type: text, text: "Two at once." }
      - { type: tool_use, name: Bash, input: { command: "cat notes.txt", description: "read" } }
      - { type: tool_use, name: Bash, input: { command: "git log --format=%s", description: "log" } }
  - content:
      - { type: tool_use, name: Task, input: { description: "Count files", prompt: "REPLAY-SUBAGENT: count the files here", subagent_type: general-purpose } }
  - content:
      - { type: tool_use, name: Bash, input: { command: "echo edited >> notes.txt && echo new > new.txt", description: "edit" } }
  - content:
      - { type: text, text: "Done." }
agents:
  - match: REPLAY-SUBAGENT
    turns:
      - content:
          - { type: tool_use, name: Bash, input: { command: "ls | wc -l", description: "count" } }
      - content:
          - { type: text, text: "2 files." }
`;

const suffix = randomBytes(3).toString('hex');
const CALC = `localhost/agentpod-test-${suffix}/replay-calc:1`;

let trialApi: { server: MockApiServer; env: Record<string, string> };
let warmApi: { server: MockApiServer; env: Record<string, string> };
let subagentApi: { server: MockApiServer; env: Record<string, string> };
let dataDir: string;

const db = () => new Database(join(dataDir, 'agentpod.db'), { readonly: true });
const query = <T>(sql: string, ...params: unknown[]): T[] => {
  const handle = db();
  try {
    return handle.prepare(sql).all(...params) as T[];
  } finally {
    handle.close();
  }
};
const lastJson = (stdout: unknown) => JSON.parse(String(stdout).trim().split('\n').pop()!);
const errorLines = (stderr: unknown) => String(stderr).split('\n').filter((l) => l.startsWith('agentpod: '));

/** The session's tool calls in the order they started (ties by content, not by the ids, which are new): what a replay repeats. */
const callsOf = (runId: string) =>
  query<{ tool_name: string; input: string; agent: number }>(
    `SELECT c.tool_name, c.input, c.agent_id IS NOT NULL AS agent FROM tool_calls c JOIN runs r ON r.session_id = c.session_id WHERE r.id = ? ORDER BY c.start_ms, c.tool_name, c.input`,
    runId,
  );
const runRow = (runId: string) => query<Record<string, unknown>>('SELECT * FROM runs WHERE id = ?', runId)[0];

beforeAll(async () => {
  trialApi = await startScriptedApi(TRIAL_SCRIPT);
  warmApi = await startScriptedApi(WARM_SCRIPT);
  subagentApi = await startScriptedApi(SUBAGENT_SCRIPT);
  dataDir = userTempDir('agentpod-replay-data-');
  await buildTestImage(calcImageSpec(CALC, true));
});

afterAll(async () => {
  await trialApi?.server.close();
  await warmApi?.server.close();
  await subagentApi?.server.close();
  await removeTestImages([fixedImageName(CALC, testUser.uid, testUser.gid), CALC]);
});

describe('agentpod replay of a SWE-bench trial', () => {
  let original: { runId: string; durationMs: number };

  beforeAll(async () => {
    const warm = await agentpod(['swebench', '--data-dir', dataDir, '--image', CALC, '--profile', 'small', '--no-grade'], { env: warmApi.env });
    expect(warm.exitCode, String(warm.stderr)).toBe(0);
    const r = await agentpod(['swebench', '--data-dir', dataDir, '--image', CALC, '--profile', 'small', '--no-grade', '--json'], { env: trialApi.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    original = lastJson(r.stdout);
  });

  it('gives the same tool calls in the same order, no divergence and the same patch, with no model and no key', async () => {
    // No API variables at all: agentpod starts its own scripted server.
    const r = await agentpod(['replay', '--data-dir', dataDir, original.runId, '--think-time', 'none', '--json']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const outcome = lastJson(r.stdout);
    expect(outcome).toMatchObject({ status: 'ok', replay: { originalRunId: original.runId, startState: 'trial', toolCalls: 4, replayedCalls: 4, divergedCalls: 0, error: null } });
    for (const key of ['runId', 'runDir', 'sessionId', 'tracePath', 'durationMs', 'patch', 'fix']) expect(outcome, key).toHaveProperty(key);
    expect(callsOf(outcome.runId)).toEqual(callsOf(original.runId));
    expect(callsOf(outcome.runId).map((c) => c.tool_name)).toEqual(['Bash', 'Read', 'Edit', 'Bash']);
    // Under the original's own limits, on its fixed image at its base commit.
    const [o, p] = [runRow(original.runId), runRow(outcome.runId)];
    expect(p).toMatchObject({ profile: 'small', memory_limit_bytes: o.memory_limit_bytes, fixed_image: o.fixed_image, base_commit: o.base_commit, instance_id: o.instance_id });
    const patch = readFileSync(join(outcome.runDir, 'patch.diff'), 'utf8');
    expect(patch).toContain('+    return a + b');
    expect(patch).toBe(readFileSync(join(String(o.run_dir), 'patch.diff'), 'utf8'));
    expect(outcome.replay.replayPatchSha256).toBe(outcome.replay.originalPatchSha256);
    // Fresh ids: the replay's responses are its own rows, the original's untouched.
    expect(query('SELECT message_id FROM responses WHERE session_id = ? INTERSECT SELECT message_id FROM responses WHERE session_id = ?', o.session_id, p.session_id)).toEqual([]);
    expect(await containersOfRun(outcome.runId)).toEqual([]);

    const rows = await agentpod(['query', 'replay', '--data-dir', dataDir, '--run', outcome.runId, '--json']);
    expect(rows.exitCode, String(rows.stderr)).toBe(0);
    const table = JSON.parse(String(rows.stdout)) as Record<string, unknown>[];
    expect(table.map((t) => [t.seq, t.tool, t.diverged])).toEqual([[0, 'Bash', 0], [1, 'Read', 0], [2, 'Edit', 0], [3, 'Bash', 0]]);
    expect(table.every((t) => typeof t.original_duration_ms === 'number' && typeof t.replay_duration_ms === 'number' && t.replay_peak_memory_bytes !== null)).toBe(true);

    const report = await agentpod(['report', '--data-dir', dataDir, outcome.runId]);
    expect(report.exitCode, String(report.stderr)).toBe(0);
    const html = readFileSync(join(outcome.runDir, 'report.html'), 'utf8');
    expect(html).toContain('series-original-memory');
    expect(html).toContain(`A replay of run ${original.runId}`);
  });

  // The session's duration (its first trace line to its last): the agent's timeline, which the think time
  // reproduces. The run's own duration adds the container's start and teardown (and the patch capture), which on a
  // loaded machine vary by seconds from one run to the next whatever is replayed; both are printed.
  it('with --think-time original takes as long as the original, within 10 %', async () => {
    const r = await agentpod(['replay', '--data-dir', dataDir, original.runId, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const outcome = lastJson(r.stdout);
    expect(outcome.replay.divergedCalls).toBe(0);
    const span = (runId: string) => query<{ ms: number }>('SELECT s.last_ms - s.first_ms AS ms FROM session_facts s JOIN runs r ON r.session_id = s.session_id WHERE r.id = ?', runId)[0].ms;
    const [originalMs, replayMs] = [span(original.runId), span(outcome.runId)];
    console.log(`think-time original: session ${originalMs} ms original, ${replayMs} ms replay; run ${original.durationMs} ms original, ${outcome.durationMs} ms replay`);
    expect(originalMs).toBeGreaterThan(24_000); // the 4 × 6 s of think time dominate
    expect(Math.abs(replayMs - originalMs) / originalMs).toBeLessThanOrEqual(0.1);
  });
});

describe('agentpod replay of a plain run in a git work dir', () => {
  it('replays the Task subagent\'s calls and the parallel calls in a fresh copy where the work dir was, leaving the work dir alone', async () => {
    const workdir = await gitWorkdir({ 'notes.txt': 'hello\n' });
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--json', 'Look around and edit.'], { env: subagentApi.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const original = lastJson(r.stdout);
    const head = (await gitAsTestUser(workdir, ['rev-parse', 'HEAD'])).trim();
    expect(query('SELECT kind, git_head, git_changes FROM run_start_states WHERE run_id = ?', original.runId)).toEqual([{ kind: 'git', git_head: head, git_changes: 0 }]);
    const after = readFileSync(join(workdir, 'notes.txt'), 'utf8');
    expect(after).toBe('hello\nedited\n');

    const dry = await agentpod(['replay', '--data-dir', dataDir, original.runId, '--dry-run', '--json']);
    expect(dry.exitCode, String(dry.stderr)).toBe(0);
    const plan = JSON.parse(String(dry.stdout));
    expect(plan).toMatchObject({ originalRunId: original.runId, start: { kind: 'git', top: workdir, head }, toolCalls: 5 });
    expect(plan.conversations.map((c: { steps: { blocks: string[] }[] }) => c.steps.map((s) => s.blocks.join(' ')))).toEqual([
      ['text tool_use Bash tool_use Bash', 'tool_use Task', 'tool_use Bash', 'text'],
      ['tool_use Bash', 'text'],
    ]);

    const replay = await agentpod(['replay', '--data-dir', dataDir, original.runId, '--think-time', 'none', '--json']);
    expect(replay.exitCode, String(replay.stderr)).toBe(0);
    const outcome = lastJson(replay.stdout);
    expect(outcome.replay).toMatchObject({ startState: 'git', conversations: 2, toolCalls: 5, replayedCalls: 5, divergedCalls: 0 });
    const calls = callsOf(outcome.runId);
    expect(calls).toEqual(callsOf(original.runId));
    expect(calls.filter((c) => c.agent).map((c) => JSON.parse(c.input).command)).toEqual(['ls | wc -l']);
    // The replay worked in its own copy (mounted at the work dir's path): the work dir is as the original left it.
    expect(readFileSync(join(workdir, 'notes.txt'), 'utf8')).toBe(after);
    expect(readFileSync(join(outcome.runDir, 'workdir', 'notes.txt'), 'utf8')).toBe('hello\nedited\n');
    expect(readFileSync(join(outcome.runDir, 'patch.diff'), 'utf8')).toMatch(/\+new[\s\S]*\+edited/);
    expect(query('SELECT conversation FROM replay_tool_calls WHERE replay_run_id = ? AND conversation != ?', outcome.runId, 'main')).toHaveLength(1);
    // The replay started from the same state, recorded: it can be replayed in turn.
    expect(query('SELECT kind, git_top, git_head, git_changes FROM run_start_states WHERE run_id = ?', outcome.runId)).toEqual([{ kind: 'git', git_top: workdir, git_head: head, git_changes: 0 }]);
    expect(await containersOfRun(outcome.runId)).toEqual([]);
  });

  it('refuses a run that started with uncommitted changes, in one line, exit 2, launching nothing', async () => {
    const workdir = await gitWorkdir({ 'notes.txt': 'hello\n' });
    writeFileSync(join(workdir, 'notes.txt'), 'changed before the run\n');
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--json', 'edit'], { env: subagentApi.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const { runId } = lastJson(r.stdout);
    const runsBefore = query('SELECT id FROM runs').length;
    const replay = await agentpod(['replay', '--data-dir', dataDir, runId]);
    expect(replay.exitCode).toBe(2);
    expect(errorLines(replay.stderr)).toEqual([`agentpod: run ${runId} started in ${workdir} with 1 uncommitted change(s) or untracked file(s): agentpod can recreate only a clean git work tree, so it cannot replay it`]);
    expect(query('SELECT id FROM runs')).toHaveLength(runsBefore);
  });
});

describe('agentpod replay refuses', () => {
  /** A hand-written trace of /testbed: the main conversation starts a subagent whose conversation is not in it. */
  async function ingestTrace(lines: object[]): Promise<string> {
    const sessionId = randomUUID();
    const dir = userTempDir('agentpod-replay-trace-');
    const file = join(dir, `${sessionId}.jsonl`);
    const t = Date.parse('2026-05-01T10:00:00Z');
    writeFileSync(file, lines.map((l, i) => JSON.stringify({ sessionId, cwd: '/testbed', version: '2.1.197', timestamp: new Date(t + i * 100).toISOString(), uuid: `u${i}`, parentUuid: i ? `u${i - 1}` : null, ...l })).join('\n') + '\n');
    chmodSync(file, 0o644);
    const r = await agentpod(['ingest', '--data-dir', dataDir, file]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return sessionId;
  }
  const prompt = { type: 'user', message: { role: 'user', content: 'Count the files.' } };

  it('what is not in the database, or has no assistant responses', async () => {
    const noRun = await agentpod(['replay', '--data-dir', dataDir, '20200101-000000-abcdef']);
    expect([noRun.exitCode, errorLines(noRun.stderr)]).toEqual([2, ['agentpod: no run 20200101-000000-abcdef in the database']]);
    const noSession = await agentpod(['replay', '--data-dir', dataDir, '--session', 'no-such-session']);
    expect([noSession.exitCode, errorLines(noSession.stderr)]).toEqual([2, ['agentpod: no session no-such-session in the database (agentpod ingest puts traces there)']]);
    const silent = await ingestTrace([prompt]);
    const empty = await agentpod(['replay', '--data-dir', dataDir, '--session', silent, '--image', CALC]);
    expect([empty.exitCode, errorLines(empty.stderr)]).toEqual([2, [`agentpod: session ${silent} has no assistant responses to replay`]]);
  });

  it('a request no recorded step answers, naming it, with the container stopped and removed', async () => {
    const sessionId = await ingestTrace([
      prompt,
      { type: 'assistant', message: { id: 'msg_h1', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: 'toolu_h1', name: 'Task', input: { description: 'count', prompt: 'UNRECORDED-SUBAGENT: count', subagent_type: 'general-purpose' } }] } },
      { type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_h1', content: 'done' }] } },
      { type: 'assistant', message: { id: 'msg_h2', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Done.' }] } },
    ]);
    const r = await agentpod(['replay', '--data-dir', dataDir, '--session', sessionId, '--image', CALC, '--think-time', 'none']);
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toContain('Task call toolu_h1 starts a subagent the trace holds no conversation of');
    const [line] = errorLines(r.stderr);
    expect(line).toMatch(/^agentpod: replay \S+ stopped: request \d+ \(POST \/v1\/messages from Claude Code 2\.1\.197\), subagent \S+, after 0 assistant message\(s\), first user message "UNRECORDED-SUBAGENT: count": its first user message is the prompt of no recorded subagent conversation$/);
    const runId = /replay (\S+) stopped/.exec(line)![1];
    expect(runRow(runId)).toMatchObject({ status: 'interrupted' });
    expect(String(runRow(runId).error)).toMatch(/^replay stopped: request/);
    expect(await containersOfRun(runId)).toEqual([]);
  });

  it('a Claude Code whose request shape the server does not know', async () => {
    const sessionId = await ingestTrace([prompt, { type: 'assistant', message: { id: 'msg_v1', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Done.' }] } }]);
    // Stands in for a future Claude Code: one request with a user agent of another major version, then it waits.
    const dir = userTempDir('agentpod-fake-claude-');
    const fake = join(dir, 'claude');
    writeFileSync(
      fake,
      `#!/usr/bin/env node
const res = await fetch(process.env.ANTHROPIC_BASE_URL + '/v1/messages', { method: 'POST', headers: { 'user-agent': 'claude-cli/9.0.0 (external, sdk-cli)' }, body: JSON.stringify({ model: 'm', tools: [{ name: 'Bash' }], messages: [{ role: 'user', content: 'Count the files.' }] }) });
console.log(JSON.stringify({ type: 'status', code: res.status }));
process.on('SIGTERM', () => process.exit(143));
await new Promise((r) => setTimeout(r, 60000));
`,
    );
    chmodSync(fake, 0o755);
    const r = await agentpod(['replay', '--data-dir', dataDir, '--session', sessionId, '--image', CALC, '--claude', fake]);
    expect(r.exitCode, String(r.stderr)).toBe(2);
    const [line] = errorLines(r.stderr);
    expect(line).toMatch(/^agentpod: replay (\S+) stopped: request 1 \(POST \/v1\/messages from Claude Code 9\.0\.0\) has a shape the scripted server does not know: it knows the requests of Claude Code 2\.0 and 2\.1$/);
    const runId = /replay (\S+) stopped/.exec(line)![1];
    expect(await containersOfRun(runId)).toEqual([]);
  });
});

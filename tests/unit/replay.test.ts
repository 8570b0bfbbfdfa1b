// The pure parts of replay: script extraction from ingested real traces (Claude Code 2.1 with a subagents
// file, 2.0 with inline sidechain lines), think time, fresh ids, the conversation matcher, divergence, start plans.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { ingestPaths } from '../../src/ingest/index.js';
import { FIXTURE_20_SESSION_ID, FIXTURE_SESSION_ID } from '../../src/ingest/fixtures.js';
import { readRequest, type RequestView } from '../../src/mockapi/request.js';
import { UnmatchedRequestError } from '../../src/mockapi/server.js';
import { bashExitCode, compareCalls, MISSING_CALL, outputSha256, outputText, type CallResult } from '../../src/replay/divergence.js';
import { extractSession, recordedToolCalls, type RecordedSession } from '../../src/replay/extract.js';
import { ConversationMatcher, PAST_END_TURN } from '../../src/replay/matcher.js';
import { planStart, type Original } from '../../src/replay/original.js';
import { buildReplayScript, freshId, parseThinkTime, stepTiming } from '../../src/replay/script.js';
import { loadSessionLines } from '../../src/replay/session.js';

const fixtures = resolve(import.meta.dirname, '..', '..', 'traces', 'fixtures');
const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});
const tempDir = () => mkdtempSync(join(tmpdir(), 'agentpod-replay-'));

async function ingested(...paths: string[]): Promise<Db> {
  const db = openDb(join(tempDir(), 'a.db'));
  open.push(db);
  await ingestPaths(db, paths);
  return db;
}

const recorded = async (sessionId: string, ...paths: string[]): Promise<RecordedSession> => extractSession(sessionId, loadSessionLines(await ingested(...paths), sessionId));

const kinds = (session: RecordedSession) => session.conversations.map((c) => ({ key: c.key.replace(/:.*/, ':'), prompt: c.prompt, steps: c.steps.map((s) => s.blocks.map((b) => (b.type === 'tool_use' ? b.name : b.type))) }));

describe('script extraction', () => {
  it('reads a Claude Code 2.1 trace and its subagents file: the main conversation and the subagent, each response whole', async () => {
    const session = await recorded(FIXTURE_SESSION_ID, join(fixtures, 'cli'));
    expect(kinds(session)).toEqual([
      { key: 'main', prompt: 'Do the fixture task', steps: [['thinking', 'text', 'Bash'], ['Read'], ['Bash'], ['text', 'Agent'], ['text']] },
      { key: 'agent:', prompt: 'FIXTURE-SUBAGENT: count the files in the working directory', steps: [['Bash'], ['text']] },
    ]);
    expect(session.conversations[1].key).toBe('agent:a60a8379d162e6612');
    expect(session.warnings).toEqual([]);
    const main = session.conversations[0];
    expect(main.steps[0].messageId).toBe('msg_6024a9f7014ad47b300753d4');
    // The response's usage is the maximum over its lines, as ingest counts it.
    expect(main.steps[0].usage.output_tokens).toBeGreaterThan(1);
    expect(recordedToolCalls(session).map((c) => `${c.conversation.split(':')[0]} ${c.name}`)).toEqual(['main Bash', 'main Read', 'main Bash', 'main Agent', 'agent Bash']);
  });

  it('reads a Claude Code 2.0 trace whose subagent is inline sidechain lines, and keeps two tool calls of one response in one step', async () => {
    const session = await recorded(FIXTURE_20_SESSION_ID, join(fixtures, 'cli-2.0'));
    expect(kinds(session)).toEqual([
      { key: 'main', prompt: 'Do the fixture task', steps: [['text', 'Bash', 'Bash'], ['Read'], ['text', 'Task'], ['text']] },
      { key: 'sidechain:', prompt: 'FIXTURE-SUBAGENT-20: count the files in the working directory', steps: [['Bash'], ['text']] },
    ]);
    expect(session.conversations[1].agentId).toBeNull();
  });

  it('takes a trace ingested from two places (a run folder copy) once', async () => {
    const copy = tempDir();
    cpSync(join(fixtures, 'cli-2.0'), copy, { recursive: true });
    const once = await recorded(FIXTURE_20_SESSION_ID, join(fixtures, 'cli-2.0'));
    const twice = await recorded(FIXTURE_20_SESSION_ID, join(fixtures, 'cli-2.0'), copy);
    expect(kinds(twice)).toEqual(kinds(once));
  });

  it('refuses a session without assistant responses, and leaves synthetic error responses out', async () => {
    const dir = tempDir();
    const line = (o: object) => `${JSON.stringify({ sessionId: 's1', timestamp: '2026-01-01T00:00:00.000Z', ...o })}\n`;
    writeFileSync(join(dir, 's1.jsonl'), line({ type: 'user', uuid: 'u1', parentUuid: null, message: { role: 'user', content: 'hello' } }));
    await expect(recorded('s1', dir)).rejects.toThrow(/session s1 has no assistant responses to replay/);
    writeFileSync(
      join(dir, 's1.jsonl'),
      line({ type: 'user', uuid: 'u1', parentUuid: null, message: { role: 'user', content: 'hello' } }) +
        line({ type: 'assistant', uuid: 'a1', parentUuid: 'u1', isApiErrorMessage: true, message: { id: 'msg_x', model: '<synthetic>', content: [{ type: 'text', text: 'API Error' }] } }),
    );
    await expect(recorded('s1', dir)).rejects.toThrow(/no assistant responses/);
  });
});

describe('think time', () => {
  it('is the time from the request (the prompt or last tool result line) to the response\'s first line, and between its lines', async () => {
    const session = await recorded(FIXTURE_SESSION_ID, join(fixtures, 'cli'));
    const [first, second] = session.conversations[0].steps;
    // 14:08:07.200 prompt → .258, .260, .268 (thinking, text, tool_use lines); 07.330 tool result → 07.348.
    expect(stepTiming(first)).toEqual({ delayMs: 58, blockDelaysMs: [0, 2, 8] });
    expect(stepTiming(second)).toEqual({ delayMs: 18, blockDelaysMs: [0] });
    const subagent = session.conversations[1].steps[0];
    expect(stepTiming(subagent).delayMs).toBe(17); // its prompt line 07.414 → 07.431
  });

  it('is scaled by --think-time: original 1, none 0, a factor', async () => {
    expect([parseThinkTime('original'), parseThinkTime('none'), parseThinkTime('0.5'), parseThinkTime('2')]).toEqual([1, 0, 0.5, 2]);
    expect(() => parseThinkTime('fast')).toThrow(/--think-time: expected original, none or a factor/);
    const session = await recorded(FIXTURE_SESSION_ID, join(fixtures, 'cli'));
    const half = buildReplayScript(session, { salt: 'r1', thinkFactor: 0.5 }).conversations[0].turns[0];
    expect(half.delay_ms).toBe(29);
    expect(half.content.map((b) => b.delay_ms ?? 0)).toEqual([0, 1, 4]);
    const none = buildReplayScript(session, { salt: 'r1', thinkFactor: 0 }).conversations[0].turns;
    expect(none.every((t) => t.delay_ms === undefined && t.content.every((b) => b.delay_ms === undefined))).toBe(true);
  });
});

describe('fresh ids', () => {
  it('are new for every replay and the same within one, and the script maps each back to the original call', async () => {
    expect(freshId('toolu_', 'run-a', 'toolu_1')).toBe(freshId('toolu_', 'run-a', 'toolu_1'));
    expect(freshId('toolu_', 'run-a', 'toolu_1')).not.toBe(freshId('toolu_', 'run-b', 'toolu_1'));
    expect(freshId('msg_', 'run-a', 'm')).toMatch(/^msg_[0-9a-f]{24}$/);
    const session = await recorded(FIXTURE_SESSION_ID, join(fixtures, 'cli'));
    const script = buildReplayScript(session, { salt: 'run-a', thinkFactor: 1 });
    const originals = new Set([...session.conversations.flatMap((c) => c.steps.flatMap((s) => [s.messageId, ...s.toolUseIds]))]);
    const played = script.conversations.flatMap((c) => c.turns.flatMap((t) => [t.message_id!, ...t.content.flatMap((b) => (b.type === 'tool_use' ? [b.id!] : []))]));
    expect(played.some((id) => originals.has(id))).toBe(false);
    expect(new Set(played).size).toBe(played.length);
    expect(script.links.map((l) => l.originalToolUseId)).toEqual(recordedToolCalls(session).map((c) => c.toolUseId));
    expect(script.links.every((l) => l.replayToolUseId === freshId('toolu_', 'run-a', l.originalToolUseId))).toBe(true);
  });
});

describe('conversation matcher', () => {
  let n = 0;
  const request = (body: object, headers: { agent?: string; client?: string } = {}): RequestView =>
    readRequest(JSON.stringify({ model: 'claude-sonnet-4-5', tools: [{ name: 'Bash' }], stream: true, ...body }), { index: ++n, path: '/v1/messages', client: headers.client ?? 'claude-cli/2.1.197 (external, sdk-cli)', agentHeader: headers.agent ?? null });
  const reminder = { type: 'text', text: '<system-reminder>context</system-reminder>' };
  const user = (text: string) => ({ role: 'user', content: [reminder, { type: 'text', text }] });
  const mainSystem = [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197; cc_entrypoint=sdk-cli;' }];
  const subSystem = [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197; cc_entrypoint=sdk-cli; cc_is_subagent=true;' }];
  const assistant = (ids: string[]) => ({ role: 'assistant', content: ids.map((id) => ({ type: 'tool_use', id, name: 'Bash', input: {} })) });
  const results = (ids: string[]) => ({ role: 'user', content: ids.map((id) => ({ type: 'tool_result', tool_use_id: id, content: 'ok' })) });

  it('serves each conversation its next step: the main one by its prompt, later requests by the ids it gave out, subagents by theirs', async () => {
    const session = await recorded(FIXTURE_SESSION_ID, join(fixtures, 'cli'));
    const script = buildReplayScript(session, { salt: 'r', thinkFactor: 0 });
    const matcher = new ConversationMatcher(script);
    const [main, sub] = script.conversations;
    const first = matcher.answer(request({ system: mainSystem, messages: [user('Do the fixture task')] }));
    expect([first.conversation, first.turn]).toEqual(['main', 0]);
    // A mid-conversation system message (Claude Code 2.1) is not a turn.
    const second = matcher.answer(request({ system: mainSystem, messages: [user('Do the fixture task'), { role: 'system', content: 'agents' }, assistant(main.toolUseIds[0]), results(main.toolUseIds[0])] }));
    expect([second.conversation, second.turn]).toEqual(['main', 1]);
    expect(second.reply).toBe(main.turns[1]);
    const subFirst = matcher.answer(request({ system: subSystem, messages: [user(sub.prompt)] }, { agent: 'a1' }));
    expect([subFirst.conversation, subFirst.turn]).toEqual([sub.key, 0]);
    const subNext = matcher.answer(request({ system: subSystem, messages: [user(sub.prompt), assistant(sub.toolUseIds[0]), results(sub.toolUseIds[0])] }, { agent: 'a1' }));
    expect([subNext.conversation, subNext.turn]).toEqual([sub.key, 1]);
    // A retry of a request gets the same step again.
    expect(matcher.answer(request({ system: mainSystem, messages: [user('Do the fixture task')] })).turn).toBe(0);
    expect(matcher.unservedSteps()).toBe(3);
  });

  it('refuses a request it cannot place, naming it, and answers one past a conversation\'s end with a closing text', async () => {
    const session = await recorded(FIXTURE_20_SESSION_ID, join(fixtures, 'cli-2.0'));
    const script = buildReplayScript(session, { salt: 'r', thinkFactor: 0 });
    const matcher = new ConversationMatcher(script);
    expect(() => matcher.answer(request({ messages: [user('Another prompt')] }, { client: 'claude-cli/2.0.0 (external, sdk-cli)' }))).toThrow(UnmatchedRequestError);
    expect(() => matcher.answer(request({ messages: [user('Another prompt')] }))).toThrow(/request \d+ \(POST \/v1\/messages from Claude Code 2\.1\.197\), after 0 assistant message\(s\), first user message "Another prompt": its first user message is the prompt of no recorded conversation/);
    expect(() => matcher.answer(request({ messages: [user('Do the fixture task'), assistant(['toolu_unknown']), results(['toolu_unknown'])] }))).toThrow(/carries tool_use ids \(toolu_unknown\) that no one step/);
    const main = script.conversations[0];
    const last = main.toolUseIds.length - 1;
    const all = main.toolUseIds.flatMap((ids, i) => (ids.length ? [assistant(ids), results(ids)] : i < last ? [{ role: 'assistant', content: 'text' }] : []));
    const past = matcher.answer(request({ messages: [user('Do the fixture task'), ...all, { role: 'assistant', content: [{ type: 'text', text: 'Done.' }] }, user('more?')] }));
    expect(past.reply).toBe(PAST_END_TURN);
    expect(matcher.served.at(-1)).toMatchObject({ conversation: 'main', turn: null });
  });

  it('tells two subagents with the same prompt apart by the agent id each request carries', () => {
    const step = (id: string) => ({ messageId: `m-${id}`, model: null, usage: {}, requestMs: null, firstMs: null, blocks: [{ type: 'tool_use' as const, id, name: 'Bash', input: { command: id }, atMs: null }], toolUseIds: [id] });
    const session: RecordedSession = {
      sessionId: 's',
      warnings: [],
      conversations: [
        { key: 'main', agentId: null, prompt: 'go', model: null, steps: [step('t0')] },
        { key: 'agent:x', agentId: 'x', prompt: 'same task', model: null, steps: [step('tx')] },
        { key: 'agent:y', agentId: 'y', prompt: 'same task', model: null, steps: [step('ty')] },
      ],
    };
    const matcher = new ConversationMatcher(buildReplayScript(session, { salt: 'r', thinkFactor: 0 }));
    const ask = (agent: string) => matcher.answer(request({ system: subSystem, messages: [user('same task')] }, { agent })).conversation;
    expect([ask('b1'), ask('b2'), ask('b1'), ask('b2')]).toEqual(['agent:x', 'agent:y', 'agent:x', 'agent:y']);
  });
});

describe('divergence', () => {
  const result = (over: Partial<CallResult>): CallResult => ({ present: true, hasResult: true, isError: false, exitCode: 0, oomKills: 0, outputSha256: 'h', ...over });

  it('hashes a result\'s output without the agent id trailer of a 2.1 subagent result', () => {
    const a = [{ type: 'text', text: 'There are 1 files.' }, { type: 'text', text: 'agentId: a60a83 (use SendMessage ...)\n<usage>duration_ms: 57</usage>' }];
    const b = [{ type: 'text', text: 'There are 1 files.' }, { type: 'text', text: 'agentId: ffff00 (use SendMessage ...)\n<usage>duration_ms: 91</usage>' }];
    expect(outputText(a)).toBe('There are 1 files.');
    expect(outputSha256(a)).toBe(outputSha256(b));
    expect(outputSha256('x')).not.toBe(outputSha256('y'));
  });

  it('reads a Bash exit code from the result, and names each way a replayed call differs', () => {
    expect(bashExitCode(false, 'ok')).toBe(0);
    expect(bashExitCode(true, 'Exit code 137\nKilled')).toBe(137);
    expect(bashExitCode(true, 'Command timed out')).toBeNull();
    expect(compareCalls(result({}), result({}))).toEqual({ diverged: false, reasons: [] });
    expect(compareCalls(result({}), result({ isError: true, exitCode: 137, oomKills: 1, outputSha256: 'k' })).reasons).toEqual(['error', 'exit-code', 'oom-kill', 'output']);
    expect(compareCalls(result({}), MISSING_CALL).reasons).toEqual(['missing']);
    expect(compareCalls(result({}), { ...MISSING_CALL, present: true }).reasons).toEqual(['no-result']);
    expect(compareCalls(result({}), { ...MISSING_CALL, present: true, oomKills: 1 }).reasons).toEqual(['no-result', 'oom-kill']);
    // Where one side has no cgroup counters (the /proc source), OOM kills are not compared.
    expect(compareCalls(result({ oomKills: null }), result({ oomKills: 2 })).diverged).toBe(false);
  });
});

describe('start plans', () => {
  const base: Pick<Original, 'sessionId' | 'run' | 'startState' | 'cwd' | 'swebench'> = { sessionId: 's', run: null, startState: null, cwd: '/work', swebench: null };
  const run = { id: 'r1', session_id: 's', status: 'ok', profile: 'default', model: null, image: 'localhost/agentpod/base:1', workdir: '/w', run_dir: '/d', prompt_sha256: '', duration_ms: 1, instance_id: null, source_image: null, base_commit: null };

  it('replays a trial on its image at its base commit, and a clean git work tree at its HEAD', () => {
    expect(planStart({ ...base, run: { ...run, source_image: 'img', base_commit: 'abc', instance_id: 'i' }, swebench: { task: null, sourceImageId: 'sha' } })).toEqual({ kind: 'trial', sourceImage: 'img', baseCommit: 'abc', sourceImageId: 'sha' });
    const git = { kind: 'git' as const, workdir: '/w/sub', top: '/w', head: 'h1', changes: 0 };
    expect(planStart({ ...base, run, startState: git })).toEqual({ kind: 'git', image: run.image, workdir: '/w/sub', top: '/w', head: 'h1' });
  });

  it('refuses what it cannot recreate, saying why', () => {
    expect(() => planStart({ ...base, run, startState: { kind: 'git', workdir: '/w', top: '/w', head: 'h', changes: 3 } })).toThrow(/run r1 started in \/w with 3 uncommitted change\(s\) or untracked file\(s\)/);
    expect(() => planStart({ ...base, run, startState: { kind: 'none', workdir: '/w', reason: 'not a git work tree' } })).toThrow(/which is not a git work tree: agentpod recorded no state it can recreate/);
    expect(() => planStart({ ...base, run })).toThrow(/run r1 has no recorded start state \(it ran before agentpod recorded one\)/);
    expect(() => planStart(base)).toThrow(/session s has no recorded start state \(agentpod did not run it\): give --image/);
  });

  it('replays a session agentpod did not run in the image it is given: a trial when its cwd is /testbed', () => {
    expect(planStart({ ...base, cwd: '/testbed' }, 'img')).toEqual({ kind: 'trial', sourceImage: 'img', baseCommit: null, sourceImageId: null });
    expect(planStart(base, 'img')).toEqual({ kind: 'image', image: 'img', workdir: '/work', imageId: null });
  });
});

describe('query replay', () => {
  it('puts each call next to its original, with the figures tool-resources gives each side\'s own run', async () => {
    const { findQuery } = await import('../../src/analysis/index.js');
    const { insertRun, insertSamples } = await import('../helpers/analysis-db.js');
    // Two real traces stand for the original (2.1 fixture) and the replay (2.0 fixture), each its own run.
    const db = await ingested(join(fixtures, 'cli'), join(fixtures, 'cli-2.0'));
    const first = (sessionId: string) => db.prepare('SELECT tool_use_id, start_ms FROM tool_calls WHERE session_id = ? ORDER BY start_ms LIMIT 1').get(sessionId) as { tool_use_id: string; start_ms: number };
    const [o, p] = [first(FIXTURE_SESSION_ID), first(FIXTURE_20_SESSION_ID)];
    insertRun(db, { id: 'orig', session_id: FIXTURE_SESSION_ID, started_at: o.start_ms - 1000 });
    insertRun(db, { id: 'rep', session_id: FIXTURE_20_SESSION_ID, started_at: p.start_ms - 1000 });
    const around = (t: number, low: number, high: number) => [
      { t_ms: t - 10, memory_current_bytes: low, cpu_usage_usec: 0 },
      { t_ms: t + 1, memory_current_bytes: high, cpu_usage_usec: 5000 },
    ];
    insertSamples(db, 'orig', around(o.start_ms, 100, 300));
    insertSamples(db, 'rep', around(p.start_ms, 100, 900));
    db.prepare(`INSERT INTO replay_tool_calls (replay_run_id, seq, original_run_id, original_tool_use_id, replay_tool_use_id, conversation, step, tool_name, replayed, diverged, reasons)
                VALUES ('rep', 0, 'orig', ?, ?, 'main', 0, 'Bash', 1, 1, 'output')`).run(o.tool_use_id, p.tool_use_id);

    const query = findQuery('replay');
    const rows = query.run(db, { runId: 'rep' });
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0])).toEqual(query.columns.map((c) => c.key));
    const side = (runId: string, toolUseId: string) => findQuery('tool-resources').run(db, { runId }).find((r) => r.tool_use_id === toolUseId)!;
    const [os, ps] = [side('orig', o.tool_use_id), side('rep', p.tool_use_id)];
    expect(rows[0]).toMatchObject({
      replay_run_id: 'rep', original_run_id: 'orig', seq: 0, conversation: 'main', tool: 'Bash', detail: os.detail,
      original_duration_ms: os.duration_ms, replay_duration_ms: ps.duration_ms,
      original_peak_memory_bytes: os.peak_memory_bytes, replay_peak_memory_bytes: ps.peak_memory_bytes,
      original_memory_delta_bytes: os.memory_delta_bytes, replay_memory_delta_bytes: ps.memory_delta_bytes,
      original_cpu_seconds: os.cpu_seconds, replay_cpu_seconds: ps.cpu_seconds, diverged: 1, reasons: 'output',
    });
    expect([rows[0].original_peak_memory_bytes, rows[0].replay_peak_memory_bytes]).toEqual([300, 900]);
    expect(query.run(db, { runId: 'orig' })).toEqual([]);
  });
});

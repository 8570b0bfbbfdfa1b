import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCompleteLines, type FileLine } from '../../src/ingest/lines.js';
import { parseTimestamp, parseTraceLine } from '../../src/ingest/parse.js';
import { fileContext } from '../../src/ingest/file.js';
import { decodeRawLine, encodeRawLine } from '../../src/ingest/raw.js';

const parsed = (obj: unknown) => {
  const r = parseTraceLine(JSON.stringify(obj));
  if (!r.ok) throw new Error(r.reason);
  return r.line;
};

describe('parseTraceLine', () => {
  it('reads an assistant line: response id, usage, tool_use with the Bash command', () => {
    const line = parsed({
      type: 'assistant', uuid: 'u2', parentUuid: 'u1', sessionId: 's', requestId: 'req_1', timestamp: '2026-03-05T06:38:22.853Z', isSidechain: false,
      message: { id: 'msg_1', model: 'claude-haiku-4-5', stop_reason: null, usage: { input_tokens: 3, output_tokens: 5, cache_read_input_tokens: 100 },
        content: [{ type: 'thinking', thinking: 'x' }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls -l' } }] },
    });
    expect(line.timestampMs).toBe(Date.UTC(2026, 2, 5, 6, 38, 22, 853));
    expect(line.response).toEqual({
      messageId: 'msg_1', requestId: 'req_1', model: 'claude-haiku-4-5', stopReason: null, isSynthetic: false,
      usage: { input_tokens: 3, output_tokens: 5, cache_creation_input_tokens: null, cache_read_input_tokens: 100 },
    });
    expect(line.toolUses).toEqual([{ blockIndex: 1, id: 'toolu_1', name: 'Bash', input: '{"command":"ls -l"}', command: 'ls -l' }]);
  });

  it('reads a tool_result: error flag, size in UTF-8 bytes, the subagent of a Task result', () => {
    const line = parsed({
      type: 'user', toolUseResult: { agentId: 'a123', status: 'completed' },
      message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'ü✓', is_error: true }] },
    });
    expect(line.response).toBeNull();
    expect(line.toolResults).toEqual([{ blockIndex: 0, toolUseId: 'toolu_9', isError: true, resultBytes: 5, subagentId: 'a123' }]);
  });

  it('marks synthetic error messages', () => {
    const line = parsed({ type: 'assistant', isApiErrorMessage: true, message: { id: 'x', model: '<synthetic>', content: [] } });
    expect(line.response?.isSynthetic).toBe(true);
  });

  it('keeps unknown line types and missing fields as null', () => {
    const line = parsed({ type: 'some-future-type', payload: 1 });
    expect(line).toMatchObject({ type: 'some-future-type', uuid: null, sessionId: null, timestampMs: null, response: null, toolUses: [] });
  });

  it('rejects what is not a JSON object, with a reason', () => {
    expect(parseTraceLine('{"type":"user"')).toMatchObject({ ok: false, reason: expect.stringContaining('invalid JSON') });
    expect(parseTraceLine('[1,2]')).toEqual({ ok: false, reason: 'not a JSON object (array)' });
  });

  it('parses timestamps to epoch ms, null when unreadable', () => {
    expect(parseTimestamp('2026-01-01T00:00:00.000Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTimestamp('yesterday')).toBeNull();
    expect(parseTimestamp(undefined)).toBeNull();
  });
});

describe('fileContext', () => {
  it('reads session and agent ids from Claude Code 2.1 paths', () => {
    const s = '0b7a4f61-8c1e-4d6e-9a51-2f3c4d5e6f70';
    expect(fileContext(`/h/.claude/projects/-work/${s}.jsonl`)).toEqual({ projectDir: '/h/.claude/projects/-work', sessionId: s, agentId: null });
    expect(fileContext(`/h/.claude/projects/-work/${s}/subagents/agent-a6b.jsonl`)).toEqual({ projectDir: '/h/.claude/projects/-work', sessionId: s, agentId: 'a6b' });
    expect(fileContext('/runs/r1/trace.jsonl')).toEqual({ projectDir: '/runs/r1', sessionId: null, agentId: null });
  });
});

describe('raw lines', () => {
  it('round-trips short and long lines', () => {
    for (const text of ['{"a":"ü"}', JSON.stringify({ big: 'x✓'.repeat(10_000) })]) {
      const { raw, deflated } = encodeRawLine(Buffer.from(text));
      expect(decodeRawLine({ raw, raw_deflated: deflated })).toBe(text);
    }
    expect(encodeRawLine(Buffer.alloc(10_000, 'a')).raw.length).toBeLessThan(1000);
  });
});

describe('readCompleteLines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-lines-'));
  const readAll = async (content: Buffer | string, from = 0, max?: number) => {
    const path = join(dir, `f${Math.random()}`);
    writeFileSync(path, content);
    const file = await open(path);
    const out: FileLine[] = [];
    for await (const l of readCompleteLines(file, from, max)) out.push(l);
    await file.close();
    return out.map((l) => (l.kind === 'line' ? { ...l, bytes: l.bytes.toString() } : l));
  };

  it('yields complete lines with byte offsets and holds back a final line without newline', async () => {
    expect(await readAll('ab\nü\npartial')).toEqual([
      { kind: 'line', start: 0, end: 3, bytes: 'ab' },
      { kind: 'line', start: 3, end: 6, bytes: 'ü' }, // ü is two bytes
    ]);
  });

  it('starts at an offset', async () => {
    expect(await readAll('ab\ncd\n', 3)).toEqual([{ kind: 'line', start: 3, end: 6, bytes: 'cd' }]);
  });

  it('joins a line that spans read chunks', async () => {
    const long = 'x'.repeat(3 * 1024 * 1024 + 17);
    const lines = await readAll(`a\n${long}\nb\n`);
    expect(lines.map((l) => (l.kind === 'line' ? l.bytes.length : -1))).toEqual([1, long.length, 1]);
    expect(lines[2]).toMatchObject({ start: 2 + long.length + 1 });
  });

  it('reports lines above the limit without holding them', async () => {
    const lines = await readAll(`a\n${'y'.repeat(3 * 1024 * 1024)}\nb\n`, 0, 1024 * 1024);
    expect(lines.map((l) => l.kind)).toEqual(['line', 'too-long', 'line']);
    expect(lines[1]).toEqual({ kind: 'too-long', start: 2, end: 2 + 3 * 1024 * 1024 + 1 });
  });
});

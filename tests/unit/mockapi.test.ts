import { describe, expect, it } from 'vitest';
import { parseScript, ScriptError } from '../../src/mockapi/script.js';
import { isSubagentRequest, readRequest, RequestShapeError, type RequestView } from '../../src/mockapi/request.js';
import { chooseTurn, startMockApi, UnmatchedRequestError } from '../../src/mockapi/server.js';

const script = parseScript(
  `
turns:
  - content: [{ type: thinking, thinking: "hmm" }, { type: tool_use, name: Task, input: { prompt: "SUBTASK count files", description: d, subagent_type: general-purpose } }]
    usage: { input_tokens: 10, output_tokens: 7 }
  - content: [{ type: text, text: "all done" }]
agents:
  - match: SUBTASK
    turns:
      - content: [{ type: text, text: "3 files" }]
`,
  'inline',
);

const tools = [{ name: 'Bash' }];

let requestCount = 0;
const view = (body: Record<string, unknown>): RequestView =>
  readRequest(JSON.stringify({ model: 'm', ...body }), { index: ++requestCount, path: '/v1/messages', client: null, agentHeader: null });

describe('chooseTurn', () => {
  it('answers turn N of the conversation that already holds N assistant messages', () => {
    expect(chooseTurn(script, view({ tools, messages: [{ role: 'user', content: 'go' }] })).turn).toBe(0);
    const second = chooseTurn(script, view({ tools, messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [] }, { role: 'user', content: [] }] }));
    expect(second.turn).toBe(1);
    expect(second.reply.content).toEqual([{ type: 'text', text: 'all done' }]);
  });
  it('routes a subagent conversation by its first user message', () => {
    expect(chooseTurn(script, view({ tools, messages: [{ role: 'user', content: [{ type: 'text', text: 'SUBTASK count files' }] }] })).conversation).toBe('SUBTASK');
  });
  it('ends a conversation that outruns the script with a plain text turn', () => {
    const messages = Array.from({ length: 7 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'x' }));
    expect(chooseTurn(script, view({ tools, messages })).reply.content[0].type).toBe('text');
  });
});

describe('parseScript', () => {
  it('rejects unknown blocks and empty turns with the place named', () => {
    expect(() => parseScript('turns: [{ content: [{ type: image }] }]', 's.yaml')).toThrow(/s\.yaml turns\[0\]\.content\[0\]: unknown block type "image"/);
    expect(() => parseScript('turns: []', 's.yaml')).toThrow(ScriptError);
  });
});

describe('mock server', () => {
  it('streams SSE events in the Messages API order with partial then final usage', async () => {
    const server = await startMockApi(script);
    try {
      const res = await fetch(`${server.url}/v1/messages`, {
        method: 'POST',
        body: JSON.stringify({ stream: true, model: 'm', tools, messages: [{ role: 'user', content: 'go' }] }),
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const events = (await res.text()).split('\n\n').filter(Boolean).map((chunk) => JSON.parse(chunk.split('\n')[1].slice(6)));
      expect(events.map((e) => e.type)).toEqual([
        'message_start',
        'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
        'content_block_start', 'content_block_delta', 'content_block_stop',
        'message_delta', 'message_stop',
      ]);
      expect(events[0].message.usage.output_tokens).toBe(1);
      expect(events[8].usage.output_tokens).toBe(7);
      expect(events[8].delta.stop_reason).toBe('tool_use');
      expect(JSON.parse(events[6].delta.partial_json)).toEqual({ prompt: 'SUBTASK count files', description: 'd', subagent_type: 'general-purpose' });

      const plain = await fetch(`${server.url}/v1/messages`, { method: 'POST', body: JSON.stringify({ model: 'm', tools, messages: [{ role: 'user', content: 'go' }] }) });
      const body = await plain.json();
      expect(body.content.map((b: { type: string }) => b.type)).toEqual(['thinking', 'tool_use']);
      expect(body.usage).toMatchObject({ input_tokens: 10, output_tokens: 7 });
      expect(server.requests.map((r) => r.stream)).toEqual([true, false]);
    } finally {
      await server.close();
    }
  });
});

describe('request shape', () => {
  const meta = { index: 7, path: '/v1/messages', client: 'claude-cli/2.1.197 (external, sdk-cli)', agentHeader: null };
  const body = (over: Record<string, unknown>) => JSON.stringify({ model: 'm', tools, messages: [{ role: 'user', content: 'go' }], ...over });

  it('reads what Claude Code 2.1 sends: system blocks, mid-conversation system messages, tool_use ids per assistant message', () => {
    const v = readRequest(
      body({
        system: [{ type: 'text', text: 'billing cc_is_subagent=true;' }, { type: 'text', text: 'You are an agent' }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: '<system-reminder>x</system-reminder>' }, { type: 'text', text: 'the task' }] },
          { role: 'system', content: 'agent types' },
          { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }, { type: 'tool_use', id: 'toolu_a', name: 'Bash', input: {} }, { type: 'tool_use', id: 'toolu_b', name: 'Bash', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a', content: 'x' }] },
        ],
      }),
      meta,
    );
    expect(v).toMatchObject({ firstUserTexts: ['<system-reminder>x</system-reminder>', 'the task'], assistantToolUseIds: [['toolu_a', 'toolu_b']], hasTools: true });
    expect(isSubagentRequest(v)).toBe(true);
    expect(isSubagentRequest({ ...v, systemText: 'cc_entrypoint=sdk-cli;' })).toBe(false);
    expect(isSubagentRequest({ ...v, systemText: 'You are Claude Code' })).toBeNull();
  });

  it('refuses another shape or an unknown Claude Code version with what is off, naming the request', () => {
    const known = { pattern: /^2\.[01]\./, name: '2.0 and 2.1' };
    expect(() => readRequest('{', meta)).toThrow(/request 7 \(POST \/v1\/messages from Claude Code 2\.1\.197\) has a shape the scripted server does not know: the body is not JSON/);
    expect(() => readRequest(body({ messages: [{ role: 'tool', content: 'x' }] }), meta)).toThrow(RequestShapeError);
    expect(() => readRequest(body({ messages: [{ role: 'assistant', content: [{ type: 'server_tool_use' }] }] }), meta)).toThrow(/messages\[0\] \(assistant\) holds a block of type "server_tool_use"/);
    expect(() => readRequest(body({}), { ...meta, client: 'claude-cli/3.0.1 (external)' }, known)).toThrow(/from Claude Code 3\.0\.1\) has a shape the scripted server does not know: it knows the requests of Claude Code 2\.0 and 2\.1/);
    expect(readRequest(body({}), meta, known).model).toBe('m');
  });
});

describe('mock server: replay features', () => {
  const post = (url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'user-agent': 'claude-cli/2.1.197 (external, sdk-cli)', ...headers }, body: JSON.stringify({ model: 'm', tools, messages: [{ role: 'user', content: 'go' }], ...payload }) });

  it('sends the ids a script gives, waits before a turn and between blocks, and answers tool-less requests as auxiliary', async () => {
    const timed = parseScript(
      `
turns:
  - message_id: msg_fixed
    delay_ms: 300
    content:
      - { type: text, text: a }
      - { type: tool_use, id: toolu_fixed, name: Bash, input: { command: ls }, delay_ms: 400 }
`,
      'timed',
    );
    const server = await startMockApi(timed);
    try {
      const started = Date.now();
      const res = await post(server.url, { stream: true });
      const text = await res.text();
      expect(Date.now() - started).toBeGreaterThanOrEqual(680);
      expect(text).toContain('"id":"msg_fixed"');
      expect(text).toContain('"id":"toolu_fixed"');
      const aux = await (await post(server.url, { tools: [] })).json();
      expect(aux.content).toEqual([{ type: 'text', text: 'Scripted session' }]);
      expect(server.requests.map((r) => r.conversation)).toEqual(['main', 'auxiliary']);
    } finally {
      await server.close();
    }
  });

  it('refuses a request its responder cannot place, or of an unknown shape, with a 400 naming it, and reports it', async () => {
    const failures: string[] = [];
    const responder = {
      answer: (r: RequestView) => {
        throw new UnmatchedRequestError(`request ${r.index} fits no step`);
      },
    };
    const server = await startMockApi(responder, { knownVersions: { pattern: /^2\./, name: '2.x' }, onFailure: (e) => failures.push(e.message) });
    try {
      const unmatched = await post(server.url, {});
      expect(unmatched.status).toBe(400);
      expect((await unmatched.json()).error).toEqual({ type: 'invalid_request_error', message: 'agentpod scripted server: request 1 fits no step' });
      const future = await post(server.url, {}, { 'user-agent': 'claude-cli/3.0.0' });
      expect(future.status).toBe(400);
      expect(failures).toEqual(['request 1 fits no step', 'request 2 (POST /v1/messages from Claude Code 3.0.0) has a shape the scripted server does not know: it knows the requests of Claude Code 2.x']);
      expect(server.requests.map((r) => r.conversation)).toEqual(['error', 'error']);
    } finally {
      await server.close();
    }
  });
});

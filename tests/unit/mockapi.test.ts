import { describe, expect, it } from 'vitest';
import { parseScript, ScriptError } from '../../src/mockapi/script.js';
import { readRequest, type RequestView } from '../../src/mockapi/request.js';
import { chooseTurn, startMockApi } from '../../src/mockapi/server.js';

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

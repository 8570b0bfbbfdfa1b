// A scripted Anthropic Messages-API server on loopback, so the real Claude Code CLI runs offline.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { MockScript, ScriptBlock, ScriptTurn, ScriptUsage } from './script.js';

export interface MockRequestRecord {
  t_ms: number;
  path: string;
  /** 'main', the matched agent's `match` text, or 'auxiliary' for tool-less side requests. */
  conversation: string;
  turn: number;
  stream: boolean;
  /** Text of the conversation's first user message (where the prompt is). */
  firstUserText: string;
}

export interface MockApiServer {
  url: string;
  port: number;
  requests: MockRequestRecord[];
  close(): Promise<void>;
}

interface ApiMessage {
  role: string;
  content: string | Array<{ type: string; text?: string }>;
}

interface ApiRequest {
  model?: string;
  messages?: ApiMessage[];
  tools?: unknown[];
  stream?: boolean;
}

const AUXILIARY_TURN: ScriptTurn = { content: [{ type: 'text', text: 'Scripted session' }] };
const FINISHED_TURN: ScriptTurn = { content: [{ type: 'text', text: 'The script has no more turns.' }] };

function messageText(message: ApiMessage | undefined): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((b) => b.text ?? '').join('\n');
}

/** Picks the scripted turn that answers this request (see script.ts for the rule). */
export function chooseTurn(script: MockScript, body: ApiRequest): { conversation: string; turn: number; reply: ScriptTurn; firstUser: string } {
  const messages = body.messages ?? [];
  const firstUser = messageText(messages.find((m) => m.role === 'user'));
  if (!body.tools || body.tools.length === 0) return { conversation: 'auxiliary', turn: 0, reply: AUXILIARY_TURN, firstUser };
  const agent = script.agents.find((a) => firstUser.includes(a.match));
  const turns = agent ? agent.turns : script.turns;
  const turn = messages.filter((m) => m.role === 'assistant').length;
  return { conversation: agent ? agent.match : 'main', turn, reply: turns[turn] ?? FINISHED_TURN, firstUser };
}

const randomId = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

type ApiBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

function toApiBlock(block: ScriptBlock): ApiBlock {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'thinking':
      return { type: 'thinking', thinking: block.thinking, signature: randomId('sig_') };
    case 'tool_use':
      return { type: 'tool_use', id: randomId('toolu_'), name: block.name, input: block.input };
  }
}

function usageFor(turn: ScriptTurn, requestBytes: number, blocks: ApiBlock[]): Required<ScriptUsage> {
  const given = turn.usage ?? {};
  return {
    input_tokens: given.input_tokens ?? Math.ceil(requestBytes / 4),
    output_tokens: given.output_tokens ?? Math.max(1, Math.ceil(JSON.stringify(blocks).length / 4)),
    cache_creation_input_tokens: given.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: given.cache_read_input_tokens ?? 0,
  };
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function writeStream(res: ServerResponse, message: Record<string, unknown>, blocks: ApiBlock[], usage: Required<ScriptUsage>, stopReason: string): void {
  // request-id: the real API sends one, and Claude Code writes it into the trace as requestId.
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': randomId('req_') });
  // message_start carries partial usage, as the real API does; the final output_tokens come in message_delta.
  sse(res, 'message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
  blocks.forEach((block, index) => {
    switch (block.type) {
      case 'text':
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } });
        break;
      case 'thinking':
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
        sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } });
        sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } });
        break;
      case 'tool_use':
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
        break;
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
  });
  sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': randomId('req_') });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startMockApi(script: MockScript, options: { port?: number; host?: string; onRequest?: (r: MockRequestRecord) => void } = {}): Promise<MockApiServer> {
  const requests: MockRequestRecord[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'POST') return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no ${req.method} ${path}` } });
      const raw = await readBody(req);
      let body: ApiRequest;
      try {
        body = JSON.parse(raw) as ApiRequest;
      } catch {
        return sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'body is not JSON' } });
      }
      if (path.endsWith('/messages/count_tokens')) return sendJson(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
      if (!path.endsWith('/messages')) return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no endpoint ${path}` } });

      const { conversation, turn, reply, firstUser } = chooseTurn(script, body);
      const record = { t_ms: Date.now(), path, conversation, turn, stream: body.stream === true, firstUserText: firstUser };
      requests.push(record);
      options.onRequest?.(record);
      if (reply.delay_ms) await new Promise((r) => setTimeout(r, reply.delay_ms));

      const blocks = reply.content.map(toApiBlock);
      const usage = usageFor(reply, raw.length, blocks);
      const stopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
      const message = { id: randomId('msg_'), type: 'message', role: 'assistant', model: body.model ?? script.model, stop_sequence: null };
      if (body.stream) writeStream(res, message, blocks, usage, stopReason);
      else sendJson(res, 200, { ...message, content: blocks, stop_reason: stopReason, usage });
    })().catch((e: Error) => {
      if (!res.headersSent) sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: e.message } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

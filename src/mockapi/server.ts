// A scripted Anthropic Messages-API server on loopback, so the real Claude Code CLI runs offline.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { readRequest, RequestShapeError, type KnownVersions, type RequestView } from './request.js';
import { DEFAULT_MODEL, type MockScript, type ScriptBlock, type ScriptTurn, type ScriptUsage } from './script.js';

export interface MockRequestRecord {
  /** 1-based number of the request on this server. */
  index: number;
  t_ms: number;
  path: string;
  /** 'main', the matched agent's `match` text, 'auxiliary' for tool-less side requests, 'error' when refused. */
  conversation: string;
  turn: number;
  stream: boolean;
  model: string | null;
  /** Text of the conversation's first user message (where the prompt is). */
  firstUserText: string;
  /** Why the request was refused (conversation 'error'). */
  error?: string;
}

export interface MockApiServer {
  url: string;
  port: number;
  requests: MockRequestRecord[];
  close(): Promise<void>;
}

/** The scripted turn that answers a request, and where in which conversation it is. */
export interface ScriptReply {
  conversation: string;
  turn: number;
  reply: ScriptTurn;
}

/** A request no step of the script answers: the server refuses it (400) and reports it. */
export class UnmatchedRequestError extends Error {}

/**
 * Decides which turn answers a request with tools (tool-less side requests, such as titles, get a fixed
 * auxiliary answer first). Throws UnmatchedRequestError for a request it cannot place.
 */
export interface Responder {
  answer(request: RequestView): ScriptReply;
}

const AUXILIARY_TURN: ScriptTurn = { content: [{ type: 'text', text: 'Scripted session' }] };
const FINISHED_TURN: ScriptTurn = { content: [{ type: 'text', text: 'The script has no more turns.' }] };

/** Turn N answers the request whose conversation already holds N assistant messages (see script.ts). */
export function chooseTurn(script: MockScript, request: RequestView): ScriptReply {
  const firstUser = request.firstUserTexts.join('\n');
  const agent = script.agents.find((a) => firstUser.includes(a.match));
  const turns = agent ? agent.turns : script.turns;
  const turn = request.assistantToolUseIds.length;
  return { conversation: agent ? agent.match : 'main', turn, reply: turns[turn] ?? FINISHED_TURN };
}

export const scriptResponder = (script: MockScript): Responder => ({ answer: (request) => chooseTurn(script, request) });

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
      return { type: 'tool_use', id: block.id ?? randomId('toolu_'), name: block.name, input: block.input };
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

const sleep = (ms: number | undefined) => (ms ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

async function writeStream(res: ServerResponse, message: Record<string, unknown>, script: ScriptBlock[], blocks: ApiBlock[], usage: Required<ScriptUsage>, stopReason: string): Promise<void> {
  // request-id: the real API sends one, and Claude Code writes it into the trace as requestId.
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': randomId('req_') });
  // message_start carries partial usage, as the real API does; the final output_tokens come in message_delta.
  sse(res, 'message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
  for (const [index, block] of blocks.entries()) {
    await sleep(script[index].delay_ms);
    if (res.destroyed) return;
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
  }
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

export interface MockApiOptions {
  port?: number;
  host?: string;
  onRequest?: (r: MockRequestRecord) => void;
  /** A request was refused (its shape is unknown, or no turn answers it); it got a 400 naming why. */
  onFailure?: (e: RequestShapeError | UnmatchedRequestError) => void;
  /** Refuse Claude Code versions other than these (a replay); any client otherwise. */
  knownVersions?: KnownVersions;
}

export async function startMockApi(source: MockScript | Responder, options: MockApiOptions = {}): Promise<MockApiServer> {
  const responder = 'answer' in source ? source : scriptResponder(source);
  const model = 'answer' in source ? DEFAULT_MODEL : source.model;
  const requests: MockRequestRecord[] = [];
  let count = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'POST') return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no ${req.method} ${path}` } });
      const raw = await readBody(req);
      if (path.endsWith('/messages/count_tokens')) return sendJson(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
      if (!path.endsWith('/messages')) return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no endpoint ${path}` } });

      const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
      const meta = { index: ++count, path, client: header('user-agent'), agentHeader: header('x-claude-code-agent-id') };
      let request: RequestView;
      let chosen: ScriptReply;
      try {
        request = readRequest(raw, meta, options.knownVersions);
        chosen = request.hasTools ? responder.answer(request) : { conversation: 'auxiliary', turn: 0, reply: AUXILIARY_TURN };
      } catch (e) {
        if (!(e instanceof RequestShapeError || e instanceof UnmatchedRequestError)) throw e;
        const record = { index: meta.index, t_ms: Date.now(), path, conversation: 'error', turn: 0, stream: false, model: null, firstUserText: '', error: e.message };
        requests.push(record);
        options.onRequest?.(record);
        options.onFailure?.(e);
        return sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: `agentpod scripted server: ${e.message}` } });
      }
      const { conversation, turn, reply } = chosen;
      const record = { index: meta.index, t_ms: Date.now(), path, conversation, turn, stream: request.stream, model: request.model, firstUserText: request.firstUserTexts.join('\n') };
      requests.push(record);
      options.onRequest?.(record);
      await sleep(reply.delay_ms);

      const blocks = reply.content.map(toApiBlock);
      const usage = usageFor(reply, request.bytes, blocks);
      const stopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
      const message = { id: reply.message_id ?? randomId('msg_'), type: 'message', role: 'assistant', model: request.model ?? model, stop_sequence: null };
      if (request.stream) await writeStream(res, message, reply.content, blocks, usage, stopReason);
      else {
        await sleep(reply.content.reduce((sum, b) => sum + (b.delay_ms ?? 0), 0));
        sendJson(res, 200, { ...message, content: blocks, stop_reason: stopReason, usage });
      }
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

// What a Messages-API request from Claude Code carries, read and checked against the shape the scripted server
// knows (Claude Code 2.0 and 2.1, looked at with a logging server): a JSON object with a model, messages of
// role user/assistant/system (2.1 puts system messages mid-conversation) holding a string or a list of typed
// blocks, an optional system prompt (string or text blocks) and an optional tools list. A request of another
// shape is refused with what is off, never answered by guesswork.

export class RequestShapeError extends Error {}

export interface RequestMeta {
  /** 1-based number of the request on its server. */
  index: number;
  path: string;
  /** The User-Agent header: `claude-cli/2.1.197 (external, sdk-cli)`. */
  client: string | null;
  /** Claude Code 2.1 names the subagent a request belongs to (x-claude-code-agent-id). */
  agentHeader: string | null;
}

export interface RequestView extends RequestMeta {
  model: string | null;
  stream: boolean;
  hasTools: boolean;
  /** The system prompt's text (blocks joined). */
  systemText: string;
  /** Text blocks of the first user message (a string content is one block). */
  firstUserTexts: string[];
  /** Assistant messages so far, and the tool_use ids each carries. */
  assistantToolUseIds: string[][];
  /** Request bytes, for the usage the server makes up. */
  bytes: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const ROLES = new Set(['user', 'assistant', 'system']);
/** Block types each role's messages may hold in the requests Claude Code sends. */
const BLOCK_TYPES: Record<string, Set<string>> = {
  user: new Set(['text', 'tool_result', 'image', 'document']),
  assistant: new Set(['text', 'thinking', 'redacted_thinking', 'tool_use']),
  system: new Set(['text']),
};

/** `claude-cli/2.1.197` → "2.1.197"; null for other clients. */
export function claudeCodeVersion(client: string | null): string | null {
  return /^claude-cli\/(\d+\.\d+\.\d+)/.exec(client ?? '')?.[1] ?? null;
}

function where(meta: RequestMeta): string {
  const version = claudeCodeVersion(meta.client);
  return `request ${meta.index} (POST ${meta.path}${version ? ` from Claude Code ${version}` : meta.client ? ` from ${meta.client}` : ''})`;
}

function textOf(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  return (content as Json[]).filter((b) => b.type === 'text' && typeof b.text === 'string').map((b) => b.text as string);
}

/** Claude Code versions whose requests the server knows, e.g. `{ pattern: /^2\.[01]\./, name: '2.0 and 2.1' }`. */
export interface KnownVersions {
  pattern: RegExp;
  name: string;
}

/**
 * Reads a request body against the known shape. `known`, when given, also refuses Claude Code versions it does
 * not match (a replay is only as faithful as the server's knowledge of the client's requests).
 */
export function readRequest(raw: string, meta: RequestMeta, known?: KnownVersions): RequestView {
  const bad = (what: string): never => {
    throw new RequestShapeError(`${where(meta)} has a shape the scripted server does not know: ${what}`);
  };
  const version = claudeCodeVersion(meta.client);
  if (known && version !== null && !known.pattern.test(version)) bad(`it knows the requests of Claude Code ${known.name}`);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return bad('the body is not JSON');
  }
  if (!isObject(body)) return bad('the body is not a JSON object');
  if (body.model !== undefined && typeof body.model !== 'string') bad('"model" is not a string');
  if (!Array.isArray(body.messages) || body.messages.length === 0) bad('"messages" is not a non-empty list');
  if (body.tools !== undefined && !Array.isArray(body.tools)) bad('"tools" is not a list');
  const system = body.system;
  if (system !== undefined && typeof system !== 'string' && !(Array.isArray(system) && system.every((b) => isObject(b) && b.type === 'text'))) {
    bad('"system" is neither a string nor a list of text blocks');
  }
  const messages = body.messages as unknown[];
  messages.forEach((m, i) => {
    if (!isObject(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) bad(`messages[${i}] has no role user, assistant or system`);
    const { role, content } = m as { role: string; content: unknown };
    if (typeof content === 'string') return;
    if (!Array.isArray(content)) bad(`messages[${i}].content is neither a string nor a list of blocks`);
    (content as unknown[]).forEach((b, j) => {
      if (!isObject(b) || typeof b.type !== 'string') bad(`messages[${i}].content[${j}] is not a typed block`);
      else if (!BLOCK_TYPES[role].has(b.type)) bad(`messages[${i}] (${role}) holds a block of type "${b.type}"`);
    });
  });
  const typed = messages as { role: string; content: string | Json[] }[];
  const firstUser = typed.find((m) => m.role === 'user');
  return {
    ...meta,
    model: (body.model as string | undefined) ?? null,
    stream: body.stream === true,
    hasTools: Array.isArray(body.tools) && body.tools.length > 0,
    systemText: system === undefined ? '' : textOf(system).join('\n'),
    firstUserTexts: firstUser ? textOf(firstUser.content) : [],
    assistantToolUseIds: typed
      .filter((m) => m.role === 'assistant')
      .map((m) => (typeof m.content === 'string' ? [] : m.content.filter((b) => b.type === 'tool_use' && typeof b.id === 'string').map((b) => b.id as string))),
    bytes: Buffer.byteLength(raw),
  };
}

/**
 * Whether the request comes from a subagent: Claude Code 2.1 says so in a header and in its system prompt's
 * billing line; 2.0 does neither (null: cannot tell).
 */
export function isSubagentRequest(r: RequestView): boolean | null {
  if (r.agentHeader) return true;
  if (r.systemText.includes('cc_is_subagent=true')) return true;
  if (r.systemText.includes('cc_entrypoint=')) return false;
  return null;
}

/** One line naming a request, for errors: its number, client, conversation position and first user words. */
export function describeRequest(r: RequestView): string {
  const first = r.firstUserTexts.at(-1) ?? '';
  const words = first.length > 80 ? `${first.slice(0, 77)}...` : first;
  const agent = r.agentHeader ? `, subagent ${r.agentHeader}` : '';
  return `${where(r)}${agent}, after ${r.assistantToolUseIds.length} assistant message(s), first user message ${JSON.stringify(words.replace(/\s+/g, ' '))}`;
}

// The pure part of ingest: one trace line (JSON text) → the facts the tables hold. No I/O.
// Unknown line types and fields are not errors: every line that is a JSON object becomes a message.

/** Bump when parsing changes what is stored: every file is then re-read from the start. */
export const PARSER_VERSION = 1;

export interface Usage {
  input_tokens: number | null;
  output_tokens: number | null;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
}

export interface ResponseLine {
  messageId: string;
  requestId: string | null;
  model: string | null;
  stopReason: string | null;
  usage: Usage;
  /** Claude Code's own error stand-in (isApiErrorMessage or model <synthetic>), not an API response. */
  isSynthetic: boolean;
}

export interface ToolUse {
  blockIndex: number;
  id: string;
  name: string | null;
  input: string | null;
  /** Bash: the command line. */
  command: string | null;
}

export interface ToolResult {
  blockIndex: number;
  toolUseId: string;
  isError: boolean | null;
  /** UTF-8 bytes of the result content (a string as is, block lists as JSON). */
  resultBytes: number;
  /** Task/Agent: the subagent that produced this result. */
  subagentId: string | null;
}

export interface TraceLine {
  type: string | null;
  uuid: string | null;
  parentUuid: string | null;
  sessionId: string | null;
  timestampMs: number | null;
  isSidechain: boolean | null;
  agentId: string | null;
  cwd: string | null;
  version: string | null;
  gitBranch: string | null;
  response: ResponseLine | null;
  toolUses: ToolUse[];
  toolResults: ToolResult[];
}

export type ParseResult = { ok: true; line: TraceLine } | { ok: false; reason: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null);

/** ISO-8601 UTC → epoch ms; anything else → null. */
export function parseTimestamp(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v !== 'string') return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

function parseUsage(v: unknown): Usage {
  const u = isObject(v) ? v : {};
  return {
    input_tokens: int(u.input_tokens),
    output_tokens: int(u.output_tokens),
    cache_creation_input_tokens: int(u.cache_creation_input_tokens),
    cache_read_input_tokens: int(u.cache_read_input_tokens),
  };
}

function parseResponse(obj: Json, message: Json): ResponseLine | null {
  const messageId = str(message.id);
  if (obj.type !== 'assistant' || messageId === null) return null;
  const model = str(message.model);
  return {
    messageId,
    requestId: str(obj.requestId),
    model,
    stopReason: str(message.stop_reason),
    usage: parseUsage(message.usage),
    isSynthetic: obj.isApiErrorMessage === true || model === '<synthetic>',
  };
}

function resultBytes(content: unknown): number {
  if (content === undefined || content === null) return 0;
  return Buffer.byteLength(typeof content === 'string' ? content : JSON.stringify(content));
}

function subagentIdOf(toolUseResult: unknown): string | null {
  return isObject(toolUseResult) ? str(toolUseResult.agentId) : null;
}

export function parseTraceLine(text: string): ParseResult {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
  }
  if (!isObject(obj)) return { ok: false, reason: `not a JSON object (${Array.isArray(obj) ? 'array' : typeof obj})` };

  const message = isObject(obj.message) ? obj.message : null;
  const content = message && Array.isArray(message.content) ? message.content : [];
  const toolUses: ToolUse[] = [];
  const toolResults: ToolResult[] = [];
  const results = content.filter((b) => isObject(b) && b.type === 'tool_result').length;
  content.forEach((block, blockIndex) => {
    if (!isObject(block)) return;
    if (block.type === 'tool_use' && typeof block.id === 'string') {
      const input = block.input === undefined ? null : JSON.stringify(block.input);
      const command = block.name === 'Bash' && isObject(block.input) ? str(block.input.command) : null;
      toolUses.push({ blockIndex, id: block.id, name: str(block.name), input, command });
    } else if (block.type === 'tool_result' && typeof block.tool_use_id === 'string') {
      toolResults.push({
        blockIndex,
        toolUseId: block.tool_use_id,
        isError: typeof block.is_error === 'boolean' ? block.is_error : null,
        resultBytes: resultBytes(block.content),
        // toolUseResult describes the line's result; with several results on one line it is ambiguous.
        subagentId: results === 1 ? subagentIdOf(obj.toolUseResult) : null,
      });
    }
  });

  return {
    ok: true,
    line: {
      type: str(obj.type),
      uuid: str(obj.uuid),
      parentUuid: str(obj.parentUuid),
      sessionId: str(obj.sessionId),
      timestampMs: parseTimestamp(obj.timestamp),
      isSidechain: typeof obj.isSidechain === 'boolean' ? obj.isSidechain : null,
      agentId: str(obj.agentId),
      cwd: str(obj.cwd),
      version: str(obj.version),
      gitBranch: str(obj.gitBranch),
      response: message ? parseResponse(obj, message) : null,
      toolUses,
      toolResults,
    },
  };
}

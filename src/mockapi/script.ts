// A mock-API script: the assistant turns the scripted Messages-API server plays back.
// Turn N answers the request whose conversation already holds N assistant messages, so the
// server is stateless and a retried request gets the same turn again. (A replay places requests
// its own way: src/replay/matcher.ts.)
import { readFileSync } from 'node:fs';
import YAML from 'yaml';

export type ScriptBlock = (
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string }
  /** `id`: the tool_use id to send (a replay gives fresh ones it can map back); random when absent. */
  | { type: 'tool_use'; name: string; input: Record<string, unknown>; id?: string }
) & {
  /** Milliseconds to wait before streaming this block (a replay's gap between the original's lines). */
  delay_ms?: number;
};

export interface ScriptUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export interface ScriptTurn {
  content: ScriptBlock[];
  usage?: ScriptUsage;
  /** Milliseconds to wait before answering (to make a turn take time). */
  delay_ms?: number;
  /** The message id to send; random when absent. */
  message_id?: string;
}

export interface ScriptAgent {
  /** A subagent conversation is chosen when its first user message contains this text. */
  match: string;
  turns: ScriptTurn[];
}

export interface MockScript {
  model: string;
  turns: ScriptTurn[];
  agents: ScriptAgent[];
}

/** The model a response names when neither the script nor the request says one. */
export const DEFAULT_MODEL = 'claude-sonnet-4-5-20250929';

export class ScriptError extends Error {}

function fail(where: string, what: string): never {
  throw new ScriptError(`mock-api script ${where}: ${what}`);
}

function parseDelay(raw: unknown, where: string): { delay_ms?: number } {
  if (raw === undefined) return {};
  if (typeof raw !== 'number' || !(raw >= 0)) fail(where, '"delay_ms" must be a number of milliseconds >= 0');
  return { delay_ms: raw };
}

function parseBlock(raw: unknown, where: string): ScriptBlock {
  if (typeof raw !== 'object' || raw === null) fail(where, 'expected a content block object');
  const block = raw as Record<string, unknown>;
  const delay = parseDelay(block.delay_ms, where);
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') fail(where, 'text block needs a string "text"');
      return { type: 'text', text: block.text, ...delay };
    case 'thinking':
      if (typeof block.thinking !== 'string') fail(where, 'thinking block needs a string "thinking"');
      return { type: 'thinking', thinking: block.thinking, ...delay };
    case 'tool_use':
      if (typeof block.name !== 'string') fail(where, 'tool_use block needs a string "name"');
      if (typeof block.input !== 'object' || block.input === null) fail(where, 'tool_use block needs an object "input"');
      if (block.id !== undefined && typeof block.id !== 'string') fail(where, 'tool_use "id" must be a string');
      return { type: 'tool_use', name: block.name, input: block.input as Record<string, unknown>, ...(block.id ? { id: block.id } : {}), ...delay };
    default:
      fail(where, `unknown block type ${JSON.stringify(block.type)} (expected text, thinking or tool_use)`);
  }
}

function parseTurns(raw: unknown, where: string): ScriptTurn[] {
  if (!Array.isArray(raw) || raw.length === 0) fail(where, 'expected a non-empty list of turns');
  return raw.map((t, i) => {
    const turn = t as Record<string, unknown>;
    const at = `${where}[${i}]`;
    if (!Array.isArray(turn.content) || turn.content.length === 0) fail(at, 'expected a non-empty "content" list');
    return {
      content: turn.content.map((b, j) => parseBlock(b, `${at}.content[${j}]`)),
      usage: turn.usage as ScriptUsage | undefined,
      ...parseDelay(turn.delay_ms, at),
      ...(typeof turn.message_id === 'string' ? { message_id: turn.message_id } : {}),
    };
  });
}

export function parseScript(text: string, source: string): MockScript {
  let raw: Record<string, unknown>;
  try {
    raw = YAML.parse(text) as Record<string, unknown>;
  } catch (e) {
    fail(source, `not valid YAML/JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) fail(source, 'expected a mapping with "turns"');
  const agentsRaw = raw.agents ?? [];
  if (!Array.isArray(agentsRaw)) fail(source, '"agents" must be a list');
  return {
    model: typeof raw.model === 'string' ? raw.model : DEFAULT_MODEL,
    turns: parseTurns(raw.turns, `${source} turns`),
    agents: agentsRaw.map((a, i) => {
      const agent = a as Record<string, unknown>;
      if (typeof agent.match !== 'string' || agent.match === '') fail(`${source} agents[${i}]`, 'needs a non-empty "match"');
      return { match: agent.match, turns: parseTurns(agent.turns, `${source} agents[${i}].turns`) };
    }),
  };
}

export function loadScript(file: string): MockScript {
  return parseScript(readFileSync(file, 'utf8'), file);
}

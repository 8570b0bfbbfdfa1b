// The pure part of replay's input: a session's trace lines → its conversations (the main one and each
// subagent's), each an ordered list of the assistant responses the model gave, with their content blocks,
// the time each took and the tool calls they made. Works on Claude Code 2.0 traces (subagents as inline
// `isSidechain` lines, told apart by the chain of parentUuid up to their first user line) and 2.1 traces
// (subagents in `<session>/subagents/agent-<id>.jsonl`, lines carrying `agentId`).
import type { ScriptBlock, ScriptUsage } from '../mockapi/script.js';

export class ReplayInputError extends Error {}

export interface SessionLine {
  path: string;
  lineNo: number;
  uuid: string;
  parentUuid: string | null;
  type: string | null;
  timestampMs: number | null;
  isSidechain: boolean;
  agentId: string | null;
  json: Record<string, unknown>;
}

export type RecordedBlock = ScriptBlock & {
  /** Timestamp of the trace line that carried the block. */
  atMs: number | null;
};

export interface RecordedStep {
  /** The original response's message.id. */
  messageId: string;
  model: string | null;
  /** The usage it reported (the maximum of each field over its lines). */
  usage: ScriptUsage;
  /** When the request that produced it was sent: the conversation's last user line (prompt or tool result) before it. */
  requestMs: number | null;
  /** Its first line. */
  firstMs: number | null;
  blocks: RecordedBlock[];
  /** The original tool_use ids, in block order. */
  toolUseIds: string[];
}

export interface RecordedConversation {
  /** 'main', `agent:<agentId>` (2.1) or `sidechain:<uuid of its first line>` (2.0). */
  key: string;
  agentId: string | null;
  /** The first user message: the run's prompt, or the prompt a Task/Agent call gave its subagent. */
  prompt: string;
  model: string | null;
  steps: RecordedStep[];
}

export interface RecordedSession {
  sessionId: string;
  conversations: RecordedConversation[];
  /** Things replay cannot reproduce, said to the user (never silently dropped). */
  warnings: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const messageOf = (line: SessionLine): Json => (isObject(line.json.message) ? line.json.message : {});
const contentOf = (line: SessionLine): unknown => messageOf(line).content;

/** The text a user line gives (a prompt); null for tool results and Claude Code's own meta lines. */
export function userText(line: SessionLine): string | null {
  if (line.type !== 'user' || line.json.isMeta === true) return null;
  const content = contentOf(line);
  if (typeof content === 'string') return content;
  if (!Array.isArray(content) || content.some((b) => isObject(b) && b.type === 'tool_result')) return null;
  const texts = content.filter((b): b is Json => isObject(b) && b.type === 'text' && typeof b.text === 'string').map((b) => b.text as string);
  return texts.length ? texts.join('\n') : null;
}

const isSynthetic = (line: SessionLine) => line.json.isApiErrorMessage === true || messageOf(line).model === '<synthetic>';

/** Which conversation each line belongs to. */
function conversationKeys(lines: SessionLine[]): Map<SessionLine, string> {
  const byUuid = new Map(lines.map((l) => [l.uuid, l]));
  const rootOf = new Map<string, string>();
  const sidechainRoot = (line: SessionLine): string => {
    const path: SessionLine[] = [];
    let at: SessionLine = line;
    for (;;) {
      const known = rootOf.get(at.uuid);
      if (known) return finish(known);
      path.push(at);
      const parent = at.parentUuid ? byUuid.get(at.parentUuid) : undefined;
      if (!parent || !parent.isSidechain || parent.agentId || path.length > lines.length) return finish(at.uuid);
      at = parent;
    }
    function finish(root: string): string {
      for (const l of path) rootOf.set(l.uuid, root);
      return root;
    }
  };
  return new Map(lines.map((l) => [l, l.agentId ? `agent:${l.agentId}` : l.isSidechain ? `sidechain:${sidechainRoot(l)}` : 'main']));
}

const maxOf = (a: number | undefined, b: unknown): number | undefined => (typeof b === 'number' && Number.isFinite(b) ? Math.max(a ?? 0, b) : a);

function mergeUsage(into: ScriptUsage, usage: unknown): void {
  if (!isObject(usage)) return;
  into.input_tokens = maxOf(into.input_tokens, usage.input_tokens);
  into.output_tokens = maxOf(into.output_tokens, usage.output_tokens);
  into.cache_creation_input_tokens = maxOf(into.cache_creation_input_tokens, usage.cache_creation_input_tokens);
  into.cache_read_input_tokens = maxOf(into.cache_read_input_tokens, usage.cache_read_input_tokens);
}

/** A trace content block as the scripted server plays it; null (with a warning) for what it cannot play. */
function scriptBlock(block: unknown, atMs: number | null, warn: (w: string) => void): RecordedBlock | null {
  if (!isObject(block)) return null;
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? { type: 'text', text: block.text, atMs } : null;
    case 'thinking':
      return typeof block.thinking === 'string' ? { type: 'thinking', thinking: block.thinking, atMs } : null;
    case 'tool_use':
      if (typeof block.id !== 'string' || typeof block.name !== 'string') return null;
      return { type: 'tool_use', id: block.id, name: block.name, input: isObject(block.input) ? block.input : {}, atMs };
    default:
      warn(`a "${String(block.type)}" block`);
      return null;
  }
}

function buildConversation(key: string, lines: SessionLine[], warn: (w: string) => void): RecordedConversation | null {
  const promptLine = lines.find((l) => userText(l) !== null);
  const steps: RecordedStep[] = [];
  const byMessage = new Map<string, RecordedStep>();
  const toolIds = new Set<string>();
  let lastInputMs: number | null = null;
  let laterPrompts = 0;
  for (const line of lines) {
    if (line.type === 'user') {
      if (line !== promptLine && userText(line) !== null) laterPrompts++;
      lastInputMs = line.timestampMs ?? lastInputMs;
      continue;
    }
    const message = messageOf(line);
    if (typeof message.id !== 'string' || isSynthetic(line)) continue;
    let step = byMessage.get(message.id);
    if (!step) {
      step = { messageId: message.id, model: typeof message.model === 'string' ? message.model : null, usage: {}, requestMs: lastInputMs, firstMs: line.timestampMs, blocks: [], toolUseIds: [] };
      byMessage.set(message.id, step);
      steps.push(step);
    }
    mergeUsage(step.usage, message.usage);
    const content = Array.isArray(message.content) ? message.content : [];
    for (const raw of content) {
      const block = scriptBlock(raw, line.timestampMs, (what) => warn(`${what} in response ${step!.messageId} is not replayed`));
      if (!block) continue;
      if (block.type === 'tool_use') {
        if (toolIds.has(block.id!)) continue; // a line repeating a block it already had
        toolIds.add(block.id!);
        step.toolUseIds.push(block.id!);
      }
      step.blocks.push(block);
    }
    lastInputMs = line.timestampMs ?? lastInputMs;
  }
  const playable = steps.filter((s) => {
    if (s.blocks.length) return true;
    warn(`response ${s.messageId} has nothing the scripted server can play; it is left out`);
    return false;
  });
  if (!promptLine) {
    if (playable.length) warn(`conversation ${key} has no first user message to recognise it by; its ${playable.length} response(s) are not replayed`);
    return null;
  }
  if (key === 'main' && laterPrompts) {
    warn(`the session has ${laterPrompts} later user prompt(s): claude -p replays the first, so the replay ends at its first final answer`);
  }
  return { key, agentId: promptLine.agentId, prompt: userText(promptLine)!, model: playable.find((s) => s.model)?.model ?? null, steps: playable };
}

/** Task (2.0) and Agent (2.1) calls start subagents with input.prompt. */
export const SUBAGENT_TOOLS = new Set(['Task', 'Agent']);

export function extractSession(sessionId: string, lines: SessionLine[]): RecordedSession {
  const warnings = new Set<string>();
  const warn = (w: string) => warnings.add(w);
  const keys = conversationKeys(lines);
  const groups = new Map<string, SessionLine[]>();
  for (const line of lines) {
    const key = keys.get(line)!;
    const group = groups.get(key);
    if (group) group.push(line);
    else groups.set(key, [line]);
  }
  const conversations = [...groups].map(([key, group]) => buildConversation(key, group, warn)).filter((c): c is RecordedConversation => c !== null);
  conversations.sort((a, b) => (a.key === 'main' ? -1 : b.key === 'main' ? 1 : 0));
  const main = conversations.find((c) => c.key === 'main');
  if (!conversations.some((c) => c.steps.length)) throw new ReplayInputError(`session ${sessionId} has no assistant responses to replay`);
  if (!main?.steps.length) throw new ReplayInputError(`session ${sessionId}'s main conversation has no assistant responses to replay (only subagents answered)`);
  const prompts = new Set(conversations.map((c) => c.prompt.trim()));
  for (const c of conversations) {
    for (const step of c.steps) {
      for (const b of step.blocks) {
        if (b.type !== 'tool_use' || !SUBAGENT_TOOLS.has(b.name) || typeof b.input.prompt !== 'string') continue;
        if (!prompts.has(b.input.prompt.trim())) warn(`${b.name} call ${b.id} starts a subagent the trace holds no conversation of: it will get no scripted answer`);
      }
    }
  }
  return { sessionId, conversations, warnings: [...warnings] };
}

/** Every tool call of the session in play order: conversation by conversation, step by step, block by block. */
export function recordedToolCalls(session: RecordedSession): { conversation: string; step: number; toolUseId: string; name: string }[] {
  return session.conversations.flatMap((c) =>
    c.steps.flatMap((s, step) => s.blocks.flatMap((b) => (b.type === 'tool_use' ? [{ conversation: c.key, step, toolUseId: b.id!, name: b.name }] : []))),
  );
}

// The pure part of replay's output: a recorded session → the script the scripted server plays, with the
// original think time (scaled), and fresh ids: responses are deduplicated globally by message.id and tool calls
// by tool_use id, so a replay that reused the original's ids would fold into the original run's rows.
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import type { ScriptBlock, ScriptTurn } from '../mockapi/script.js';
import type { RecordedSession, RecordedStep } from './extract.js';

/** --think-time: `original` (1), `none` (0) or a factor that scales the original's. */
export function parseThinkTime(value: string): number {
  if (value === 'original') return 1;
  if (value === 'none') return 0;
  const factor = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(factor)) throw new ConfigError(`--think-time: expected original, none or a factor such as 0.5, got "${value}"`);
  return factor;
}

export interface StepTiming {
  /** From the request that produced the response (the prompt or the last tool result) to its first line. */
  delayMs: number;
  /** Per block: the time from the previous block's line to this one's (0 for the first). */
  blockDelaysMs: number[];
}

const gap = (from: number | null, to: number | null) => (from === null || to === null ? 0 : Math.max(0, to - from));

/** The model's time for one response, as the trace shows it. */
export function stepTiming(step: RecordedStep): StepTiming {
  return {
    delayMs: gap(step.requestMs, step.firstMs),
    blockDelaysMs: step.blocks.map((b, i) => (i === 0 ? 0 : gap(step.blocks[i - 1].atMs, b.atMs))),
  };
}

/** A fresh id for the replay `salt` (its run id): new for every replay, the same for every retry within one. */
export function freshId(prefix: 'msg_' | 'toolu_', salt: string, originalId: string): string {
  return `${prefix}${createHash('sha256').update(`${salt}\0${originalId}`).digest('hex').slice(0, 24)}`;
}

export interface ScriptConversation {
  key: string;
  prompt: string;
  model: string | null;
  turns: ScriptTurn[];
  /** Per turn: the replay's tool_use ids, in block order. */
  toolUseIds: string[][];
}

/** A replay tool call and the original call it plays again. */
export interface ToolCallLink {
  seq: number;
  conversation: string;
  step: number;
  originalToolUseId: string;
  replayToolUseId: string;
  name: string;
}

export interface ReplayScript {
  conversations: ScriptConversation[];
  /** Every tool call of the script in play order (conversation by conversation). */
  links: ToolCallLink[];
}

export function buildReplayScript(session: RecordedSession, options: { salt: string; thinkFactor: number }): ReplayScript {
  const scale = (ms: number) => Math.round(ms * options.thinkFactor);
  const links: ToolCallLink[] = [];
  const conversations = session.conversations.map((c) => {
    const toolUseIds: string[][] = [];
    const turns = c.steps.map((step, stepIndex): ScriptTurn => {
      const timing = stepTiming(step);
      const ids: string[] = [];
      const content = step.blocks.map(({ atMs: _atMs, ...block }, i): ScriptBlock => {
        const delay = scale(timing.blockDelaysMs[i]);
        const played: ScriptBlock = { ...block, ...(delay ? { delay_ms: delay } : {}) };
        if (played.type !== 'tool_use') return played;
        const id = freshId('toolu_', options.salt, played.id!);
        ids.push(id);
        links.push({ seq: links.length, conversation: c.key, step: stepIndex, originalToolUseId: played.id!, replayToolUseId: id, name: played.name });
        return { ...played, id };
      });
      toolUseIds.push(ids);
      const delay = scale(timing.delayMs);
      return { content, usage: step.usage, message_id: freshId('msg_', options.salt, step.messageId), ...(delay ? { delay_ms: delay } : {}) };
    });
    return { key: c.key, prompt: c.prompt, model: c.model, turns, toolUseIds };
  });
  return { conversations, links };
}

// Did each tool call of the replay come out as the original's did? Per call: the result's error flag, a Bash
// call's exit code, whether the cgroup counted an OOM kill while it ran, and a hash of its output. The replay
// is open loop (the next scripted response comes whatever a tool returned), so a call that diverges does not
// stop the replay: it is recorded, and so is every call after it.
import { createHash } from 'node:crypto';
import type { Db } from '../db/open.js';
import { decodeRawLine } from '../ingest/raw.js';
import type { ToolCallLink } from './script.js';

export interface CallResult {
  /** The trace holds the call's tool_use. */
  present: boolean;
  /** ... and its tool_result. */
  hasResult: boolean;
  isError: boolean | null;
  exitCode: number | null;
  /** OOM kills the cgroup counted during the call; null where the samples do not say (no cgroup counters). */
  oomKills: number | null;
  outputSha256: string | null;
}

export const MISSING_CALL: CallResult = { present: false, hasResult: false, isError: null, exitCode: null, oomKills: null, outputSha256: null };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A tool result's output as text: a string as it is; a block list as its text blocks (other blocks as JSON),
 * leaving out the trailer Claude Code 2.1 appends to a subagent's result (its agent id and usage, which are
 * new on every run).
 */
export function outputText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined || content === null ? '' : JSON.stringify(content);
  return content
    .filter((b) => !(isObject(b) && b.type === 'text' && typeof b.text === 'string' && /^agentId: \S+/.test(b.text)))
    .map((b) => (isObject(b) && b.type === 'text' && typeof b.text === 'string' ? b.text : JSON.stringify(b)))
    .join('\n');
}

export const outputSha256 = (content: unknown) => createHash('sha256').update(outputText(content)).digest('hex');

/** A Bash call's exit code: 0 for a result that is no error, N for Claude Code's "Exit code N" error text. */
export function bashExitCode(isError: boolean | null, content: unknown): number | null {
  if (isError === false) return 0;
  const code = /^Exit code (\d+)/.exec(outputText(content));
  return code ? Number(code[1]) : null;
}

export interface Divergence {
  diverged: boolean;
  reasons: string[];
}

/** What differs between the original call and its replay (a fact either side does not know is not compared). */
export function compareCalls(original: CallResult, replay: CallResult): Divergence {
  const reasons: string[] = [];
  const known = <T>(a: T | null, b: T | null) => a !== null && b !== null;
  if (!replay.present) return { diverged: true, reasons: ['missing'] };
  if (original.hasResult && !replay.hasResult) reasons.push('no-result');
  else {
    if (known(original.isError, replay.isError) && original.isError !== replay.isError) reasons.push('error');
    if (known(original.exitCode, replay.exitCode) && original.exitCode !== replay.exitCode) reasons.push('exit-code');
  }
  // A call cut off without a result (its agent killed) still shows whether the cgroup counted an OOM kill.
  if (known(original.oomKills, replay.oomKills) && original.oomKills! > 0 !== replay.oomKills! > 0) reasons.push('oom-kill');
  if (replay.hasResult && original.outputSha256 !== replay.outputSha256) reasons.push('output');
  return { diverged: reasons.length > 0, reasons };
}

interface CallRow {
  tool_use_id: string;
  name: string | null;
  start_ms: number | null;
  end_ms: number | null;
  is_error: number | null;
  file_id: number | null;
  line_no: number | null;
  block_index: number | null;
}

/**
 * The cgroup's OOM-kill counter from the last sample before the call to the first sample after it: the kill
 * is counted when it happens, the tool_result line comes a moment later, and the next sample is what shows it.
 */
function oomKillsDuring(db: Db, runId: string, startMs: number, endMs: number): number | null {
  const at = (sql: string, t: number) => (db.prepare(sql).pluck().get(runId, t) as number | null | undefined) ?? null;
  const before =
    at('SELECT memory_events_oom_kill FROM samples WHERE run_id = ? AND t_ms < ? ORDER BY t_ms DESC LIMIT 1', startMs) ??
    at('SELECT memory_events_oom_kill FROM samples WHERE run_id = ? AND t_ms >= ? ORDER BY t_ms ASC LIMIT 1', startMs);
  const after =
    at('SELECT memory_events_oom_kill FROM samples WHERE run_id = ? AND t_ms > ? ORDER BY t_ms ASC LIMIT 1', endMs) ??
    at('SELECT memory_events_oom_kill FROM samples WHERE run_id = ? AND t_ms <= ? ORDER BY t_ms DESC LIMIT 1', endMs);
  return before === null || after === null ? null : after - before;
}

/** The results of these tool calls as the trace (and, with a run, its samples) recorded them. */
export function callResults(db: Db, toolUseIds: string[], runId: string | null): Map<string, CallResult> {
  const finishedAt = runId === null ? null : ((db.prepare('SELECT finished_at FROM runs WHERE id = ?').pluck().get(runId) as number | null | undefined) ?? null);
  const oomKills = (start: number | null, end: number | null) => (runId !== null && start !== null && end !== null ? oomKillsDuring(db, runId, start, end) : null);
  const rows = db
    .prepare(
      `SELECT u.tool_use_id, u.name, u.timestamp_ms AS start_ms, r.timestamp_ms AS end_ms, r.is_error, r.file_id, r.line_no, r.block_index
       FROM tool_uses u LEFT JOIN tool_results r ON r.tool_use_id = u.tool_use_id AND r.canonical = 1
       WHERE u.canonical = 1 AND u.tool_use_id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(toolUseIds)) as CallRow[];
  const line = db.prepare('SELECT raw, raw_deflated FROM messages WHERE file_id = ? AND line_no = ?');
  const results = new Map<string, CallResult>();
  for (const row of rows) {
    if (row.file_id === null) {
      // No result: measured to the run's end, as tool-resources does.
      results.set(row.tool_use_id, { ...MISSING_CALL, present: true, oomKills: oomKills(row.start_ms, finishedAt) });
      continue;
    }
    const raw = line.get(row.file_id, row.line_no) as { raw: Buffer; raw_deflated: number };
    const message = (JSON.parse(decodeRawLine(raw)) as { message?: { content?: Json[] } }).message;
    const content = message?.content?.[row.block_index!]?.content;
    const isError = row.is_error === null ? null : row.is_error === 1;
    results.set(row.tool_use_id, {
      present: true,
      hasResult: true,
      isError,
      exitCode: row.name === 'Bash' ? bashExitCode(isError, content) : null,
      oomKills: oomKills(row.start_ms, row.end_ms),
      outputSha256: outputSha256(content),
    });
  }
  return results;
}

export interface DivergenceSummary {
  toolCalls: number;
  replayedCalls: number;
  divergedCalls: number;
  firstDivergedSeq: number | null;
}

/** Compares every call of the script with its replay and writes one replay_tool_calls row per call. */
export function recordDivergence(db: Db, input: { replayRunId: string; originalRunId: string | null; links: ToolCallLink[] }): DivergenceSummary {
  const { links } = input;
  const originals = callResults(db, links.map((l) => l.originalToolUseId), input.originalRunId);
  const replays = callResults(db, links.map((l) => l.replayToolUseId), input.replayRunId);
  const insert = db.prepare(
    `INSERT OR REPLACE INTO replay_tool_calls (replay_run_id, seq, original_run_id, original_tool_use_id, replay_tool_use_id, conversation, step, tool_name,
       original_is_error, replay_is_error, original_exit_code, replay_exit_code, original_oom_kills, replay_oom_kills,
       original_output_sha256, replay_output_sha256, replayed, diverged, reasons)
     VALUES (@replayRunId, @seq, @originalRunId, @originalToolUseId, @replayToolUseId, @conversation, @step, @name,
       @oIsError, @rIsError, @oExit, @rExit, @oOom, @rOom, @oHash, @rHash, @replayed, @diverged, @reasons)`,
  );
  const flag = (b: boolean | null) => (b === null ? null : b ? 1 : 0);
  const summary: DivergenceSummary = { toolCalls: links.length, replayedCalls: 0, divergedCalls: 0, firstDivergedSeq: null };
  db.transaction(() => {
    for (const link of links) {
      const o = originals.get(link.originalToolUseId) ?? MISSING_CALL;
      const r = replays.get(link.replayToolUseId) ?? MISSING_CALL;
      const d = compareCalls(o, r);
      if (r.present) summary.replayedCalls++;
      if (d.diverged) {
        summary.divergedCalls++;
        summary.firstDivergedSeq ??= link.seq;
      }
      insert.run({
        replayRunId: input.replayRunId,
        originalRunId: input.originalRunId,
        ...link,
        oIsError: flag(o.isError),
        rIsError: flag(r.isError),
        oExit: o.exitCode,
        rExit: r.exitCode,
        oOom: o.oomKills,
        rOom: r.oomKills,
        oHash: o.outputSha256,
        rHash: r.outputSha256,
        replayed: flag(r.present),
        diverged: flag(d.diverged),
        reasons: d.reasons.length ? d.reasons.join(',') : null,
      });
    }
  })();
  return summary;
}

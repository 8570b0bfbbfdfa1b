// The replays row: which session a replay run played again, how, and what came of it.
import type { Db } from '../db/open.js';

export interface ReplaySummary {
  originalRunId: string | null;
  originalSessionId: string;
  startState: 'trial' | 'git' | 'image';
  thinkTime: string;
  thinkFactor: number;
  conversations: number;
  scriptSteps: number;
  stepsServed: number;
  pastEndRequests: number;
  toolCalls: number;
  replayedCalls: number;
  divergedCalls: number;
  firstDivergedSeq: number | null;
  originalPatchSha256: string | null;
  replayPatchSha256: string | null;
  /** Why the replay was stopped: a request no step answers, a request shape the server does not know. */
  error: string | null;
  warnings: string[];
}

export function recordReplay(db: Db, runId: string, s: ReplaySummary): void {
  db.prepare(
    `INSERT OR REPLACE INTO replays (run_id, original_run_id, original_session_id, start_state, think_time, think_factor, conversations, script_steps,
       steps_served, past_end_requests, tool_calls, replayed_calls, diverged_calls, first_diverged_seq, original_patch_sha256, replay_patch_sha256,
       error, warnings)
     VALUES (@runId, @originalRunId, @originalSessionId, @startState, @thinkTime, @thinkFactor, @conversations, @scriptSteps,
       @stepsServed, @pastEndRequests, @toolCalls, @replayedCalls, @divergedCalls, @firstDivergedSeq, @originalPatchSha256, @replayPatchSha256,
       @error, @warnings)`,
  ).run({ runId, ...s, warnings: JSON.stringify(s.warnings) });
  // The run's own row says why it stopped too, for `query runs` and the report.
  if (s.error) db.prepare('UPDATE runs SET error = COALESCE(error, ?) WHERE id = ?').run(`replay stopped: ${s.error}`, runId);
}

/** A plain run's replay in a replay batch (trials get theirs through the trial columns). */
export function linkReplayToBatch(db: Db, runId: string, batchId: string, trialIndex: number): void {
  db.prepare('UPDATE runs SET batch_id = ?, trial_index = ? WHERE id = ?').run(batchId, trialIndex, runId);
}

// The runs table: a row is inserted when a run starts and finalised once, when it ends.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../db/open.js';
import type { LaunchSpec } from '../launch-spec.js';

export type RunStatus = 'running' | 'ok' | 'failed' | 'oom' | 'timeout' | 'interrupted';

export function insertRunningRow(db: Db, spec: LaunchSpec, runDir: string, prompt: string, startedAt: number): void {
  const p = spec.profile;
  db.prepare(
    `INSERT INTO runs (id, status, started_at, image, profile, memory_limit_bytes, memory_swap_limit_bytes, cpus, pids_limit,
       timeout_ms, model, workdir, share_mode, runtime, session_id, container_name, run_dir, prompt_bytes, prompt_sha256,
       owner_pid, owner_host)
     VALUES (@id, 'running', @startedAt, @image, @profile, @memory, @swap, @cpus, @pids, @timeout, @model, @workdir, @share,
       @runtime, @session, @container, @runDir, @promptBytes, @promptSha, @pid, @host)`,
  ).run({
    id: spec.runId,
    startedAt,
    image: spec.image,
    profile: p.name,
    memory: p.memoryBytes,
    swap: p.memorySwapBytes,
    cpus: p.cpus,
    pids: p.pidsLimit,
    timeout: p.timeoutMs,
    model: spec.model,
    workdir: spec.workdir,
    share: spec.shareMode,
    runtime: spec.runtime,
    session: spec.sessionId,
    container: spec.containerName,
    runDir,
    promptBytes: Buffer.byteLength(prompt),
    promptSha: createHash('sha256').update(prompt).digest('hex'),
    pid: process.pid,
    host: hostname(),
  });
}

/** The `result` line Claude Code prints last in stream-json mode. */
export interface AgentResultLine {
  subtype?: string;
  is_error?: boolean;
  num_turns?: number;
  total_cost_usd?: number;
  result?: string;
  usage?: {
    input_tokens?: number;
    output_tokens?: number;
    cache_creation_input_tokens?: number;
    cache_read_input_tokens?: number;
  };
}

export interface RunEnd {
  status: Exclude<RunStatus, 'running'>;
  exitCode: number | null;
  signal: string | null;
  oomKilled: boolean | null;
  timedOut: boolean;
  finishedAt: number;
  durationMs: number;
  containerId: string | null;
  agentResult: AgentResultLine | null;
  error: string | null;
}

const flag = (b: boolean | null) => (b === null ? null : b ? 1 : 0);

export function finishRunRow(db: Db, runId: string, end: RunEnd): void {
  const r = end.agentResult;
  db.prepare(
    `UPDATE runs SET status = @status, exit_code = @exitCode, signal = @signal, oom_killed = @oom, timed_out = @timedOut,
       finished_at = @finishedAt, duration_ms = @durationMs, container_id = @containerId,
       agent_result_subtype = @subtype, agent_is_error = @isError, num_turns = @turns, cost_usd = @cost,
       result_input_tokens = @inTok, result_output_tokens = @outTok,
       result_cache_creation_input_tokens = @ccTok, result_cache_read_input_tokens = @crTok, error = @error
     WHERE id = @id`,
  ).run({
    id: runId,
    status: end.status,
    exitCode: end.exitCode,
    signal: end.signal,
    oom: flag(end.oomKilled),
    timedOut: flag(end.timedOut),
    finishedAt: end.finishedAt,
    durationMs: end.durationMs,
    containerId: end.containerId,
    subtype: r?.subtype ?? null,
    isError: r?.is_error === undefined ? null : flag(r.is_error),
    turns: r?.num_turns ?? null,
    cost: r?.total_cost_usd ?? null,
    inTok: r?.usage?.input_tokens ?? null,
    outTok: r?.usage?.output_tokens ?? null,
    ccTok: r?.usage?.cache_creation_input_tokens ?? null,
    crTok: r?.usage?.cache_read_input_tokens ?? null,
    error: end.error,
  });
}

export interface RunStatusInputs {
  interrupted: boolean;
  timedOut: boolean;
  oomKilled: boolean | null;
  kernelOomKills: number | null;
  exitCode: number | null;
  agentResult: AgentResultLine | null;
}

/** One status per run, most specific cause first. */
export function decideStatus(s: RunStatusInputs): RunEnd['status'] {
  if (s.interrupted) return 'interrupted';
  if (s.timedOut) return 'timeout';
  // Any OOM kill in the container means the memory limit was binding, even when only a tool process died and the
  // agent went on (podman's OOMKilled also misses kills of the init on some hosts): the exit code and the agent's
  // result line still tell whether it finished.
  if (s.oomKilled || (s.kernelOomKills ?? 0) > 0) return 'oom';
  if (s.exitCode === 0 && s.agentResult && !s.agentResult.is_error) return 'ok';
  return 'failed';
}

// One run from start to its final row: launch the container attached, watch time and signals, then
// inspect before removal (no --rm races), collect the agent's result, and record everything.
import { copyFileSync, cpSync, createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { storeRunFigures } from '../analysis/stored.js';
import { startRunControl } from '../control/run-control.js';
import type { Db } from '../db/open.js';
import { claudeTracePath, runDir as runDirOf } from '../paths.js';
import { podmanRunArgv } from '../podman/argv.js';
import { inspectContainer, podman, PODMAN, podmanGlobalArgs, removeContainer, type ContainerInspect } from '../podman/client.js';
import { sessionTracePaths, startTraceWatch } from '../ingest/index.js';
import { DEFAULT_SAMPLE_INTERVAL_MS, startSampler, takeHostSnapshot, type SamplerSummary } from '../sampler/index.js';
import { decideStatus, finishRunRow, insertRunningRow, type AgentResultLine, type RunEnd } from './record.js';
import type { LaunchSpec } from '../launch-spec.js';
import { sweepLeftovers } from './sweep.js';
import { containerStopper } from '../podman/stop.js';

export interface RunHookContext {
  containerName: string;
  runId: string;
  runDir: string;
}

export interface RunHooks {
  /** Runs right after the run's row is inserted, before the container starts (e.g. to link the row to a batch). */
  afterStart?(ctx: RunHookContext): void;
  /** Runs after the container exited and before it is removed; its result is merged into result.json. */
  afterExit?(ctx: RunHookContext): Promise<Record<string, unknown> | void>;
}

export interface RunRequest {
  db: Db;
  dataDir: string;
  spec: LaunchSpec;
  prompt: string;
  hooks?: RunHooks;
  /** Aborting stops the container; the run is recorded as interrupted. */
  signal?: AbortSignal;
  sampleIntervalMs?: number;
  /** Per-process samples with every Nth sample (0: none). */
  processSampleEvery?: number;
  /** Progress lines for the user (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface RunOutcome {
  runId: string;
  status: RunEnd['status'];
  exitCode: number | null;
  oomKilled: boolean | null;
  timedOut: boolean;
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  runDir: string;
  sessionId: string;
  tracePath: string;
  agentResult: AgentResultLine | null;
  error: string | null;
}

/** The last `result` line of a stream-json log, read line by line (the log can be large). */
export async function readAgentResult(streamFile: string): Promise<AgentResultLine | null> {
  if (!existsSync(streamFile)) return null;
  let last: AgentResultLine | null = null;
  const lines = createInterface({ input: createReadStream(streamFile), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes('"result"')) continue;
    try {
      const parsed = JSON.parse(line) as { type?: string } & AgentResultLine;
      if (parsed.type === 'result') last = parsed;
    } catch {
      /* a partial or foreign line: not the result */
    }
  }
  return last;
}

function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

/**
 * The run's tool-call figures (and the attribution of its processes to its calls), stored now so the first query
 * finds them current (a failure loses nothing: queries recompute).
 */
function storeFiguresOf(db: Db, runId: string, log: (line: string) => void): void {
  try {
    storeRunFigures(db, runId);
  } catch (e) {
    log(`run ${runId}: could not store its tool-call figures (queries will compute them): ${(e as Error).message}`);
  }
}

let sweeping: Promise<void> | null = null;

/** Once per process, alongside the first run (it only touches containers of dead agentpod processes). */
function sweepOnce(db: Db, log: (line: string) => void): Promise<void> {
  sweeping ??= sweepLeftovers(db).then(
    (leftovers) => {
      if (leftovers.length) log(`removed ${leftovers.length} leftover container(s) of dead agentpod processes: ${leftovers.join(', ')}`);
    },
    (e: Error) => log(`could not sweep leftover containers: ${e.message}`),
  );
  return sweeping;
}

/**
 * Sampling and resource control (soft limits read back, the profile's schedule) start with the client; the
 * returned stop() ends them after the container exited and before it is removed (the final read of
 * memory.peak and memory.events needs the cgroup). Idempotent; a sampling failure is reported by `onError`.
 */
function watchResources(req: RunRequest, onError: (message: string) => void): () => Promise<SamplerSummary | null> {
  const { db, spec } = req;
  const log = req.log ?? (() => {});
  const sampler = startSampler({ db, runId: spec.runId, containerName: spec.containerName, intervalMs: req.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS, processSampleEvery: req.processSampleEvery, log });
  const control = startRunControl({ db, runId: spec.runId, containerName: spec.containerName, profile: spec.profile, located: sampler.located, log });
  let stopped: Promise<SamplerSummary | null> | null = null;
  return () =>
    (stopped ??= (async () => {
      const summary = await sampler.stop().catch((e: Error) => {
        onError(`resource sampling failed: ${e.message}`);
        return null;
      });
      await control.finish().catch((e: Error) => log(`run ${spec.runId}: resource control: ${e.message}`));
      return summary;
    })());
}

export async function executeRun(req: RunRequest): Promise<RunOutcome> {
  const { db, spec, prompt } = req;
  const log = req.log ?? (() => {});
  const swept = sweepOnce(db, log);

  const runDir = runDirOf(req.dataDir, spec.runId);
  mkdirSync(runDir, { recursive: true });
  const [command, ...argv] = [...spec.clientPrefix, PODMAN, ...podmanGlobalArgs(), ...podmanRunArgv(spec, spec.promptDelivery === 'argv' ? prompt : null)];
  writeFileSync(join(runDir, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  writeFileSync(join(runDir, 'argv.json'), `${JSON.stringify([command, ...argv])}\n`);
  writeFileSync(join(runDir, 'prompt.txt'), prompt);
  const tracePath = claudeTracePath(spec.user.home, spec.workdir, spec.sessionId);
  const streamFile = join(runDir, 'stdout.jsonl');
  const stderrFile = join(runDir, 'stderr.log');

  const startedAt = Date.now();
  insertRunningRow(db, spec, runDir, prompt, startedAt);
  req.hooks?.afterStart?.({ containerName: spec.containerName, runId: spec.runId, runDir });
  log(`run ${spec.runId}: ${spec.image} (${spec.profile.name}), folder ${runDir}`);

  let timedOut = false;
  let interruptedBy: string | null = null;
  let error: string | null = null;
  // Own process group: a Ctrl-C on the terminal reaches agentpod only, which then stops the container itself.
  const child = execa(command, argv, {
    cwd: '/',
    detached: true,
    reject: false,
    ...(spec.promptDelivery === 'stdin' ? { input: prompt } : { stdin: 'ignore' as const }),
    stdout: { file: streamFile },
    stderr: { file: stderrFile },
  });
  const stopSampler = watchResources(req, (message) => (error ??= message));
  // Slow (systeminformation), so off the launch path; cached per process.
  const hostSnapshot = takeHostSnapshot(db, spec.runId).catch((e: Error) => log(`run ${spec.runId}: host snapshot failed: ${e.message}`));
  // The trace goes into the database while the agent writes it, so a crash of agentpod loses little. Started
  // after the launch: the file appears only once the agent runs.
  const traceWatching = startTraceWatch(db, sessionTracePaths(tracePath), {
    onError: (e) => log(`run ${spec.runId}: trace ingest: ${e.message}`),
  });
  traceWatching.catch(() => {}); // awaited (and its failure recorded) after the exit; never an unhandled rejection
  const clientExit = child.then((r) => r);
  const stopper = containerStopper(spec.containerName, spec.stopGraceSeconds, clientExit);
  const stopContainer = () => void stopper.stop();
  const timeoutMs = spec.profile.timeoutMs;
  const timer = timeoutMs === null ? null : setTimeout(() => {
    timedOut = true;
    log(`run ${spec.runId}: timeout after ${timeoutMs} ms, stopping the container`);
    stopContainer();
  }, timeoutMs);
  const onAbort = () => {
    interruptedBy = typeof req.signal?.reason === 'string' ? req.signal.reason : 'SIGINT';
    log(`run ${spec.runId}: interrupted, stopping the container`);
    stopContainer();
  };
  if (req.signal?.aborted) onAbort();
  req.signal?.addEventListener('abort', onAbort, { once: true });

  let info: ContainerInspect | undefined;
  let samplerSummary: SamplerSummary | null = null;
  let hookResult: Record<string, unknown> | void = undefined;
  let clientExitCode: number | undefined;
  try {
    clientExitCode = (await clientExit).exitCode;
    if (timer) clearTimeout(timer);
    await stopper.stopping;
    await stopSampler();
    info = await inspectContainer(spec.containerName);
    if (info?.State.Running) {
      // The client ended but the container did not (should not happen): stop it so it can be inspected.
      await podman(['stop', '-t', String(spec.stopGraceSeconds), spec.containerName]);
      info = await inspectContainer(spec.containerName);
    }
    if (!info) error = `podman run failed before the container existed: ${lastLines(readFileSync(stderrFile, 'utf8'))}`;
    if (info && req.hooks?.afterExit) {
      try {
        hookResult = await req.hooks.afterExit({ containerName: spec.containerName, runId: spec.runId, runDir });
      } catch (e) {
        error = `after-exit step failed: ${(e as Error).message}`;
      }
    }
  } catch (e) {
    // Whatever broke, the run still gets its final row (and the container is removed below).
    error = `agentpod failed during the run: ${(e as Error).message}`;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
    samplerSummary = await stopSampler();
    await removeContainer(spec.containerName).catch((e: Error) => {
      error ??= `could not remove container ${spec.containerName}: ${e.message}`;
    });
  }

  try {
    const traceWatch = await traceWatching;
    try {
      await traceWatch.flush();
    } finally {
      await traceWatch.close();
    }
  } catch (e) {
    error ??= `trace ingest failed: ${(e as Error).message}`;
  }
  if (existsSync(tracePath)) {
    copyFileSync(tracePath, join(runDir, 'trace.jsonl'));
    const subagents = join(dirname(tracePath), spec.sessionId, 'subagents');
    if (existsSync(subagents)) cpSync(subagents, join(runDir, 'subagents'), { recursive: true });
  }
  await Promise.all([swept, hostSnapshot]);
  const agentResult = await readAgentResult(streamFile);
  const finishedAt = Date.now();
  const exitCode = info?.State.ExitCode ?? clientExitCode ?? null;
  const oomKilled = info ? info.State.OOMKilled : null;
  const end: RunEnd = {
    status: decideStatus({ interrupted: interruptedBy !== null, timedOut, oomKilled, kernelOomKills: samplerSummary?.oomKillEvents ?? null, exitCode, agentResult }),
    exitCode,
    signal: interruptedBy ?? (timedOut ? 'SIGTERM' : null),
    oomKilled,
    timedOut,
    finishedAt,
    durationMs: finishedAt - startedAt,
    containerId: info?.Id ?? null,
    agentResult,
    error,
  };
  finishRunRow(db, spec.runId, end);
  storeFiguresOf(db, spec.runId, log);
  const outcome: RunOutcome = {
    runId: spec.runId,
    status: end.status,
    exitCode,
    oomKilled,
    timedOut,
    startedAt,
    finishedAt,
    durationMs: end.durationMs,
    runDir,
    sessionId: spec.sessionId,
    tracePath,
    agentResult,
    error,
  };
  writeFileSync(join(runDir, 'result.json'), `${JSON.stringify({ ...outcome, ...(hookResult ?? {}) }, null, 2)}\n`);
  return outcome;
}

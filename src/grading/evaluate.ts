// One grading container from start to removal: attached `podman run` of the driver, sampled like a run (under
// the evaluation's id), stopped on timeout or abort, inspected before it is removed — removed whatever happens.
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/open.js';
import { inspectContainer, PODMAN, podmanGlobalArgs, removeContainer } from '../podman/client.js';
import { containerStopper } from '../podman/stop.js';
import { startSampler, type SamplerSummary } from '../sampler/index.js';
import { evalRunArgv, type EvalContainerSpec } from './container.js';

export interface EvalContainerRequest {
  db: Db;
  spec: EvalContainerSpec;
  /** Runs podman's client under this command (a Slurm step); empty: directly. */
  clientPrefix: string[];
  timeoutMs: number | null;
  sampleIntervalMs: number;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface EvalContainerResult {
  /** The driver's exit code as podman reports it; null when the container never ran. */
  exitCode: number | null;
  oomKilled: boolean | null;
  timedOut: boolean;
  interrupted: boolean;
  /** podman's own failure (no container made, could not remove), else null. */
  error: string | null;
  sampler: SamplerSummary | null;
  durationMs: number;
}

/** podman's own output (and whatever the driver printed) beside the evaluation's outputs. */
export const CONTAINER_LOG = 'container.log';

export async function runEvalContainer(req: EvalContainerRequest): Promise<EvalContainerResult> {
  const { spec } = req;
  const started = Date.now();
  const logFile = join(spec.evalDir, CONTAINER_LOG);
  // The driver writes its outputs into the mounted folder; what reaches podman's streams is little: kept whole.
  const [command, ...argv] = [...req.clientPrefix, PODMAN, ...podmanGlobalArgs(), ...evalRunArgv(spec)];
  const child = execa(command, argv, { cwd: '/', detached: true, reject: false, stdin: 'ignore', all: true });
  const clientExit = child.then((r) => r);
  const sampler = startSampler({ db: req.db, runId: spec.evalId, containerName: spec.name, intervalMs: req.sampleIntervalMs, log: req.log });
  let samplerStopped: Promise<SamplerSummary | null> | null = null;
  const stopSampler = () => (samplerStopped ??= sampler.stop().catch(() => null));
  // Grading stops at once: the harness kills its exec on timeout, and an interrupted grading is thrown away.
  const stopper = containerStopper(spec.name, 0, clientExit);
  let timedOut = false;
  let interrupted = false;
  const timer =
    req.timeoutMs === null
      ? null
      : setTimeout(() => {
          timedOut = true;
          req.log(`grading ${spec.evalId}: tests still running after ${req.timeoutMs} ms, stopping the container`);
          void stopper.stop();
        }, req.timeoutMs);
  const onAbort = () => {
    interrupted = true;
    void stopper.stop();
  };
  if (req.signal?.aborted) onAbort();
  req.signal?.addEventListener('abort', onAbort, { once: true });

  let error: string | null = null;
  let exitCode: number | null = null;
  let oomKilled: boolean | null = null;
  let summary: SamplerSummary | null = null;
  try {
    const client = await clientExit;
    writeFileSync(logFile, String(client.all ?? ''));
    await stopper.stopping;
    summary = await stopSampler();
    const info = await inspectContainer(spec.name);
    if (info) {
      exitCode = info.State.ExitCode;
      oomKilled = info.State.OOMKilled;
    } else {
      error = `podman run failed before the grading container existed (exit ${client.exitCode ?? '?'}; see ${logFile})`;
    }
  } catch (e) {
    error = `grading container failed: ${(e as Error).message}`;
  } finally {
    if (timer) clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
    summary ??= await stopSampler();
    await removeContainer(spec.name).catch((e: Error) => {
      error ??= `could not remove grading container ${spec.name}: ${e.message}`;
    });
  }
  return { exitCode, oomKilled, timedOut, interrupted, error, sampler: summary, durationMs: Date.now() - started };
}

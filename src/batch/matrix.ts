// The batch matrix (instances × profiles × repeats), the batch's identity, and which trials a pass still
// has to run. Pure: the database rows come in as values.
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import type { Profile } from '../profiles.js';
import { formatBytes } from '../units.js';

export interface TrialKey {
  instanceId: string;
  profile: string;
  /** 0-based repeat number. */
  trialIndex: number;
}

export interface ExistingTrial extends TrialKey {
  runId: string;
  status: string;
  /** The run's latest grading status; null when it was never graded. */
  evalStatus: string | null;
}

/** A trial with one of these rows is done; interrupted or orphaned ('running') ones are run again. */
export const FINISHED_STATUSES: readonly string[] = ['ok', 'failed', 'oom', 'timeout'];

export const keyOf = (t: TrialKey) => JSON.stringify([t.instanceId, t.profile, t.trialIndex]);

export function trialLabel(t: TrialKey): string {
  return `${t.instanceId} × ${t.profile} #${t.trialIndex}`;
}

/** Instance by instance, so the trials of one image run close together (its fix is made once, early). */
export function buildMatrix(instanceIds: string[], profiles: string[], repeat: number): TrialKey[] {
  return instanceIds.flatMap((instanceId) =>
    profiles.flatMap((profile) => Array.from({ length: repeat }, (_, trialIndex) => ({ instanceId, profile, trialIndex }))),
  );
}

export interface BatchPlan {
  toRun: TrialKey[];
  finished: TrialKey[];
  /** Finished trials without a verdict (their grading was skipped, failed or cut off). */
  ungraded: ExistingTrial[];
  /** Of toRun: trials that have rows already, none finished (interrupted, or left running by a dead agentpod). */
  retried: number;
}

export function planBatch(matrix: TrialKey[], existing: ExistingTrial[]): BatchPlan {
  const finishedKeys = new Set(existing.filter((r) => FINISHED_STATUSES.includes(r.status)).map(keyOf));
  const triedKeys = new Set(existing.map(keyOf));
  const toRun = matrix.filter((t) => !finishedKeys.has(keyOf(t)));
  const inMatrix = new Set(matrix.map(keyOf));
  return {
    toRun,
    finished: matrix.filter((t) => finishedKeys.has(keyOf(t))),
    ungraded: existing.filter((r) => FINISHED_STATUSES.includes(r.status) && r.evalStatus === null && inMatrix.has(keyOf(r))),
    retried: toRun.filter((t) => triedKeys.has(keyOf(t))).length,
  };
}

/**
 * --name NAME, or "b" + a hash of what decides the trials: the tasks file's content, the profiles with their
 * limits and model, and the repeat count. Rerunning the same batch therefore finds its earlier trials.
 */
export function batchIdentity(input: { name?: string; tasksSha256: string; profiles: Profile[]; model?: string; repeat: number }): string {
  if (input.name !== undefined) {
    if (!/^[\w.-]+$/.test(input.name)) throw new ConfigError(`--name ${JSON.stringify(input.name)}: use letters, digits, '.', '_' and '-'`);
    return input.name;
  }
  const conditions = input.profiles.map((p) => ({
    name: p.name,
    memoryBytes: p.memoryBytes,
    memorySwapBytes: p.memorySwapBytes,
    cpus: p.cpus,
    pidsLimit: p.pidsLimit,
    timeoutMs: p.timeoutMs,
    model: input.model ?? p.model,
  }));
  const digest = createHash('sha256').update(JSON.stringify({ tasks: input.tasksSha256, profiles: conditions, repeat: input.repeat })).digest('hex');
  return `b${digest.slice(0, 12)}`;
}

/** A warning when `parallel` trials of the largest profile need more memory than the host has. */
export function parallelMemoryWarning(profiles: Profile[], parallel: number, hostMemoryBytes: number): string | null {
  if (parallel < 2 || profiles.some((p) => p.memoryBytes === null)) return null;
  const largest = profiles.reduce((a, b) => ((b.memoryBytes ?? 0) > (a.memoryBytes ?? 0) ? b : a));
  const need = parallel * (largest.memoryBytes ?? 0);
  if (need <= hostMemoryBytes) return null;
  return `--parallel ${parallel} × ${formatBytes(largest.memoryBytes)} (profile ${largest.name}) = ${formatBytes(need)}, more than this host's ${formatBytes(hostMemoryBytes)} of memory: trials may be OOM-killed or slowed down by swapping`;
}

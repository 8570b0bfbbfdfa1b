// `profiles`: the runs of each resource profile side by side (typically one batch's trials).
import type { Db } from '../db/open.js';
import { runCondition, type RunFilter } from './filter.js';
import type { Row } from './output.js';
import type { Query } from './query.js';
import { percentile, rate, spread } from './stats.js';

export interface ProfileTrial {
  profile: string;
  status: string;
  patch_bytes: number | null;
  duration_ms: number | null;
  peak_memory_bytes: number | null;
  throttled_usec: number | null;
  eval_status: string | null;
}

/** The finished runs (status other than running) the filter selects, in start order. */
export function profileTrials(db: Db, filter: RunFilter): ProfileTrial[] {
  const where = runCondition(filter, 'r');
  return db
    .prepare(
      `SELECT r.profile, r.status, r.patch_bytes, r.duration_ms, r.peak_memory_bytes, r.throttled_usec, r.eval_status
       FROM runs r WHERE r.status <> 'running' AND ${where.sql} ORDER BY r.started_at, r.id`,
    )
    .all(where.params) as ProfileTrial[];
}

/** Trials per profile, profiles in order of first appearance. */
export function trialsByProfile(trials: ProfileTrial[]): Map<string, ProfileTrial[]> {
  const groups = new Map<string, ProfileTrial[]>();
  for (const t of trials) {
    const group = groups.get(t.profile);
    if (group) group.push(t);
    else groups.set(t.profile, [t]);
  }
  return groups;
}

export function profilesRows(db: Db, filter: RunFilter): Row[] {
  return [...trialsByProfile(profileTrials(db, filter))].map(([profile, trials]) => {
    const count = (test: (t: ProfileTrial) => boolean) => rate(trials.filter(test).length, trials.length);
    const peak = spread(trials.map((t) => t.peak_memory_bytes));
    const throttledMs = trials.map((t) => (t.throttled_usec === null ? null : t.throttled_usec / 1000));
    const graded = trials.filter((t) => t.eval_status !== null);
    return {
      profile,
      trials: trials.length,
      ok_rate: count((t) => t.status === 'ok'),
      patch_rate: count((t) => (t.patch_bytes ?? 0) > 0),
      resolve_rate: rate(graded.filter((t) => t.eval_status === 'resolved').length, graded.length),
      oom_rate: count((t) => t.status === 'oom'),
      timeout_rate: count((t) => t.status === 'timeout'),
      median_duration_ms: percentile(trials.map((t) => t.duration_ms), 50),
      peak_memory_p50: peak.p50,
      peak_memory_p95: peak.p95,
      peak_memory_max: peak.max,
      median_throttled_ms: percentile(throttledMs, 50),
      max_throttled_ms: spread(throttledMs).max,
    };
  });
}

export const profilesQuery: Query = {
  name: 'profiles',
  question: 'How do the resource profiles compare over a batch: success, resolve rate, OOMs, timeouts, time, peak memory, throttling?',
  columns: [
    { key: 'profile', kind: 'text', about: 'resource profile' },
    { key: 'trials', kind: 'int', about: 'finished runs of the profile (status other than running)' },
    { key: 'ok_rate', kind: 'fraction', about: 'trials with status ok (the agent finished without error)' },
    { key: 'patch_rate', kind: 'fraction', about: 'trials that produced a patch (patch_bytes > 0)' },
    { key: 'resolve_rate', kind: 'fraction', about: 'graded trials whose latest grading is resolved (NULL: none graded; see query resolved)' },
    { key: 'oom_rate', kind: 'fraction', about: 'trials with status oom' },
    { key: 'timeout_rate', kind: 'fraction', about: 'trials with status timeout' },
    { key: 'median_duration_ms', kind: 'ms', about: 'median wall time (nearest rank)' },
    { key: 'peak_memory_p50', kind: 'bytes', about: 'median of the trials\' peak memory (nearest rank)' },
    { key: 'peak_memory_p95', kind: 'bytes', about: '95th percentile of the trials\' peak memory (nearest rank)', optional: true },
    { key: 'peak_memory_max', kind: 'bytes', about: 'largest peak memory' },
    { key: 'median_throttled_ms', kind: 'ms', about: 'median CPU throttled time per trial (cpu.stat throttled_usec)' },
    { key: 'max_throttled_ms', kind: 'ms', about: 'largest throttled time of a trial', optional: true },
  ],
  run: profilesRows,
};

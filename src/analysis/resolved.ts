// `resolved`: how often each resource profile's trials resolve their instance, with a 95 % Wilson interval,
// from each run's latest grading (evaluations; runs.eval_status).
import type { Db } from '../db/open.js';
import { runCondition, type RunFilter } from './filter.js';
import type { Column, Row } from './output.js';
import type { Query } from './query.js';
import { rate, wilsonInterval } from './stats.js';

const STATUSES = ['resolved', 'unresolved', 'empty_patch', 'patch_failed', 'log_invalid', 'timeout', 'error'] as const;

interface GradedTrial {
  profile: string;
  eval_status: string | null;
}

export function resolvedRows(db: Db, filter: RunFilter): Row[] {
  const where = runCondition(filter, 'r');
  // SWE-bench trials that ran to an end (an interrupted one is run again by its batch).
  const trials = db
    .prepare(
      `SELECT r.profile, r.eval_status FROM runs r
       WHERE r.source_image IS NOT NULL AND r.status NOT IN ('running', 'interrupted') AND ${where.sql}
       ORDER BY r.started_at, r.id`,
    )
    .all(where.params) as GradedTrial[];
  const byProfile = new Map<string, GradedTrial[]>();
  for (const t of trials) byProfile.set(t.profile, [...(byProfile.get(t.profile) ?? []), t]);
  return [...byProfile].map(([profile, group]) => {
    const graded = group.filter((t) => t.eval_status !== null);
    const resolved = graded.filter((t) => t.eval_status === 'resolved').length;
    const interval = wilsonInterval(resolved, graded.length);
    const row: Row = {
      profile,
      trials: group.length,
      graded: graded.length,
      resolved,
      resolve_rate: rate(resolved, graded.length),
      ci95_low: interval?.low ?? null,
      ci95_high: interval?.high ?? null,
    };
    for (const s of STATUSES.slice(1)) row[s] = graded.filter((t) => t.eval_status === s).length;
    row.ungraded = group.length - graded.length;
    return row;
  });
}

const statusColumns: Column[] = STATUSES.slice(1).map((s) => ({ key: s, kind: 'int', about: `trials whose latest grading is ${s}`, optional: s !== 'unresolved' }));

export const resolvedQuery: Query = {
  name: 'resolved',
  question: 'How often does each profile\'s agent resolve its SWE-bench instances (95 % Wilson interval), and why not when it does not?',
  columns: [
    { key: 'profile', kind: 'text', about: 'resource profile' },
    { key: 'trials', kind: 'int', about: 'SWE-bench trials that ran to an end (not running, not interrupted)' },
    { key: 'graded', kind: 'int', about: 'trials with a grading (evaluations)' },
    { key: 'resolved', kind: 'int', about: 'graded trials whose latest grading is resolved (the harness\'s RESOLVED_FULL)' },
    { key: 'resolve_rate', kind: 'fraction', about: 'resolved / graded' },
    { key: 'ci95_low', kind: 'fraction', about: 'lower end of the 95 % Wilson score interval of resolve_rate' },
    { key: 'ci95_high', kind: 'fraction', about: 'upper end of the 95 % Wilson score interval' },
    ...statusColumns,
    { key: 'ungraded', kind: 'int', about: 'trials without a grading (--no-grade; agentpod grade --batch grades them)', optional: true },
  ],
  run: resolvedRows,
};

// `agentpod report --batch ID`: the profiles of a batch side by side — box plots of peak memory and
// duration per profile, the profiles table and every trial; with --characterize, the study's pictures too.
import { characterizeRuns, type CharacterizeResult } from '../analysis/characterize/index.js';
import { assertFilterMatches } from '../analysis/filter.js';
import { humanCell, type Cell, type Row } from '../analysis/output.js';
import { profilesQuery, profilesRows, profileTrials, trialsByProfile, type ProfileTrial } from '../analysis/profiles.js';
import { resolvedQuery, resolvedRows } from '../analysis/resolved.js';
import { runsQuery, runsRows } from '../analysis/runs.js';
import { boxStats, sortedValues } from '../analysis/stats.js';
import type { Db } from '../db/open.js';
import { formatBytes, formatDuration } from '../units.js';
import { characterizationSection } from './characterization.js';
import { boxPlotChart, type BoxGroup } from './charts.js';
import { fragment, h } from './html.js';
import { keyValueTable, note, page, rowsTable, section } from './page.js';
import { byteTicks, niceTicks } from './svg.js';

export interface BatchReportData {
  batchId: string;
  /** The batches row (NULL when only runs name the batch). */
  batch: Record<string, Cell> | null;
  trials: ProfileTrial[];
  profiles: Row[];
  /** Verdicts per profile (query resolved). */
  resolved: Row[];
  runs: Row[];
  /** With --characterize: the study's measures over the batch. */
  characterization?: CharacterizeResult;
}

export function loadBatchReport(db: Db, batchId: string, options: { characterize?: boolean } = {}): BatchReportData {
  const filter = { batchId };
  assertFilterMatches(db, filter);
  return {
    characterization: options.characterize ? characterizeRuns(db, filter) : undefined,
    batchId,
    batch: (db.prepare('SELECT * FROM batches WHERE id = ?').get(batchId) as Record<string, Cell> | undefined) ?? null,
    trials: profileTrials(db, filter),
    profiles: profilesRows(db, filter),
    resolved: resolvedRows(db, filter),
    runs: runsRows(db, filter),
  };
}

function boxGroups(trials: ProfileTrial[], value: (t: ProfileTrial) => number | null): BoxGroup[] {
  return [...trialsByProfile(trials)].map(([label, group]) => {
    const values = sortedValues(group.map(value));
    return { label, stats: boxStats(values), values };
  });
}

export function renderBatchReport(d: BatchReportData): string {
  const memory = boxGroups(d.trials, (t) => t.peak_memory_bytes);
  const duration = boxGroups(d.trials, (t) => t.duration_ms);
  const maxOf = (groups: BoxGroup[]) => Math.max(0, ...groups.flatMap((g) => g.values));
  const minutes = maxOf(duration) / 60_000;
  const b = d.batch;
  const name = b?.name ? String(b.name) : d.batchId;
  return page(
    `agentpod batch ${name}`,
    h('h1', {}, `Batch ${name}`),
    b
      ? keyValueTable([
          ['id', d.batchId],
          ['status', humanCell(b.status ?? null, 'text')],
          ['tasks', `${humanCell(b.tasks_file ?? null, 'text')} (sha256 ${humanCell(b.tasks_sha256 ?? null, 'text')})`],
          ['profiles / repeat / parallel', `${humanCell(b.profiles ?? null, 'text')} / ${humanCell(b.repeat ?? null, 'int')} / ${humanCell(b.parallel ?? null, 'int')}`],
          ['created / finished', `${humanCell(b.created_at ?? null, 'time')} / ${humanCell(b.finished_at ?? null, 'time')}`],
        ])
      : h('p', { class: 'sub' }, `id ${d.batchId}`),
    section(
      'Profiles side by side',
      h('p', { class: 'sub' }, 'Finished trials per profile. Whiskers: min and max; box: p25 to p75; line: median (nearest rank); dots: trials.'),
      boxPlotChart('Peak memory per trial', memory, byteTicks(maxOf(memory) * 1.05 || 1), formatBytes),
      boxPlotChart('Duration per trial', duration, niceTicks(0, minutes * 1.05 || 1, 8).map((m) => m * 60_000), formatDuration),
      rowsTable(profilesQuery.columns, d.profiles),
    ),
    section(
      'Verdicts',
      d.resolved.some((r) => Number(r.graded) > 0)
        ? fragment(h('p', { class: 'sub' }, 'Each trial\'s latest grading; resolve rate with its 95 % Wilson interval.'), rowsTable(resolvedQuery.columns, d.resolved))
        : note('No trial of this batch is graded (agentpod grade --batch ID grades them).'),
    ),
    d.characterization ? characterizationSection(d.characterization) : null,
    section('Trials', rowsTable(runsQuery.columns, d.runs)),
  );
}

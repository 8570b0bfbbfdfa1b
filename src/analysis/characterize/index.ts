// `query characterize`: the AgentCgroup study's characterization as one query over any runs — imported ones
// and agentpod's own (docs/characterization.md). A data loader (series.ts), per-run calculators (facts.ts)
// and the aggregation with each measure's definition (measures.ts).
import type { Db } from '../../db/open.js';
import type { RunFilter } from '../filter.js';
import type { Column, Row } from '../output.js';
import type { Query, QueryOptions } from '../query.js';
import { runFacts, type RunFacts } from './facts.js';
import { characterize, MEASURES, type Characterization } from './measures.js';
import { loadSeries, representativeRuns, selectedRuns, type RunMeta } from './series.js';

export interface CharacterizeResult {
  measures: Characterization;
  /** The counted runs' facts (one per task unless allRuns), for the report's charts. */
  facts: RunFacts[];
  runs: RunMeta[];
}

export function characterizeRuns(db: Db, filter: RunFilter, options: QueryOptions = {}): CharacterizeResult {
  const runs = selectedRuns(db, filter);
  // One run's samples in memory at a time: its facts are all that is kept.
  const facts = representativeRuns(runs, options.allRuns ?? false).map((r) => runFacts(loadSeries(db, r)));
  return { measures: characterize(facts, runs), facts, runs };
}

const ABOUT = new Map(MEASURES.map((m) => [m.key, m.about]));

/** One row per measure, and one per entry of the per-tool and per-category ones. */
export function characterizeRows(measures: Characterization, explain = false): Row[] {
  return MEASURES.flatMap(({ key }): Row[] => {
    const value = measures[key] ?? null;
    const about = explain ? (ABOUT.get(key) ?? null) : null;
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      if (!entries.length) return [{ measure: key, of: null, value: null, about }];
      return entries.map(([of, v], i) => ({ measure: key, of, value: v, about: i === 0 ? about : null }));
    }
    return [{ measure: key, of: null, value, about }];
  });
}

const COLUMNS: Column[] = [
  { key: 'measure', kind: 'text', about: 'the measure; its unit is in its name (_pct 0-100, _mb 1e6 bytes, _x ratio, _min, _s, _ms, _n count)' },
  { key: 'of', kind: 'text', about: 'the tool, Bash category, command family or source of a per-key measure' },
  { key: 'value', kind: 'number', about: 'the value (NULL: nothing to compute it from)' },
  { key: 'about', kind: 'text', about: 'how it is computed (--explain)' },
];

export const characterizeQuery: Query = {
  name: 'characterize',
  question: 'How do the valid tasks use the machine, measured as the AgentCgroup study did: tool time, framework baseline, bursts in tool calls, spikes per Bash category, over-provisioning, retry loops, CPU-memory correlation, run time?',
  columns: COLUMNS,
  columnsFor: (options) => (options.explain ? COLUMNS : COLUMNS.filter((c) => c.key !== 'about')),
  options: ['allRuns', 'explain'],
  run: (db, filter, options = {}) => characterizeRows(characterizeRuns(db, filter, options).measures, options.explain),
  document: (db, filter, options = {}) => {
    const { measures } = characterizeRuns(db, filter, options);
    return options.explain ? { ...measures, explain: Object.fromEntries(MEASURES.map((m) => [m.key, m.about])) } : measures;
  },
};

// The study's main pictures for `report --batch ID --characterize`: tool-time share per task, memory over
// normalised task progress, where the bursts fall, and the memory spikes per Bash category; then the measures.
import { STUDY, type RunFacts } from '../analysis/characterize/facts.js';
import { characterizeQuery, characterizeRows, type CharacterizeResult } from '../analysis/characterize/index.js';
import { boxStats, nearestRank, percentile, sortedValues } from '../analysis/stats.js';
import { STUDY_CATEGORY_NAMES } from '../analysis/families.js';
import { bandChart, barChart, boxPlotChart, shareChart, type Band, type BoxGroup } from './charts.js';
import { h, type Html } from './html.js';
import { note, rowsTable, section } from './page.js';
import { niceTicks } from './svg.js';

const mb = (v: number) => `${Math.round(v)} MB`;
const percent = (v: number) => `${Math.round(v)}%`;

/** Median and quartiles (nearest rank) of the tasks' memory at each point of normalised progress. */
export function progressBand(trajectories: number[][]): Band | null {
  if (!trajectories.length) return null;
  const points = trajectories[0].length;
  const band: Band = { xs: [], median: [], low: [], high: [] };
  for (let k = 0; k < points; k++) {
    const at = sortedValues(trajectories.map((t) => t[k]));
    band.xs.push(k / (points - 1));
    band.median.push(nearestRank(at, 50));
    band.low.push(nearestRank(at, 25));
    band.high.push(nearestRank(at, 75));
  }
  return band;
}

function toolTimeChart(valid: RunFacts[]): Html {
  const bars = valid
    .filter((f) => f.toolTimeRatioPct !== null)
    .sort((a, b) => a.toolTimeRatioPct! - b.toolTimeRatioPct!)
    .map((f) => ({ label: f.task, value: f.toolTimeRatioPct!, title: `${f.task} (${f.runId}): ${f.toolTimeRatioPct!.toFixed(1)}% of active time in tool calls` }));
  if (!bars.length) return note('No valid task has tool windows and an active time.');
  const median = percentile(bars.map((b) => b.value), 50)!;
  const max = Math.max(...bars.map((b) => b.value));
  return barChart(`Tool-time share of active time, per task (${bars.length} tasks, sorted)`, bars, niceTicks(0, Math.max(max * 1.05, 1), 5), percent, { value: median, label: `median ${median.toFixed(1)}%` });
}

function memoryChart(valid: RunFacts[]): Html {
  const band = progressBand(valid.map((f) => f.trajectoryMb).filter((t): t is number[] => t !== null));
  if (!band) return note('No valid task has memory samples.');
  return bandChart(`Memory over normalised task progress (${valid.length} tasks)`, band, niceTicks(0, Math.max(...band.high) * 1.05 || 1, 5), mb, { line: 'median', band: 'p25 to p75' });
}

function burstsChart(valid: RunFacts[]): Html {
  const sum = (pick: (f: RunFacts) => number) => valid.reduce((a, f) => a + pick(f), 0);
  const row = (label: string, inTool: number, all: number) => ({
    label,
    parts: [
      { label: 'in tool calls', count: inTool, className: 'in-tool' },
      { label: 'between calls (reasoning)', count: all - inTool, className: 'reasoning' },
    ],
  });
  return shareChart('Where the samples and the bursts fall', [
    row('all samples', sum((f) => f.bursts.inTool), sum((f) => f.bursts.samples)),
    row(`memory > ${STUDY.memBurstBytes / 1e6} MB`, sum((f) => f.bursts.memInTool), sum((f) => f.bursts.mem)),
    row(`CPU > ${STUDY.cpuBurstPercent}%`, sum((f) => f.bursts.cpuInTool), sum((f) => f.bursts.cpu)),
  ]);
}

function spikesChart(valid: RunFacts[]): Html {
  const spikes = valid.flatMap((f) => f.spikes);
  const groups: BoxGroup[] = STUDY_CATEGORY_NAMES.map((category) => {
    const values = sortedValues(spikes.filter((s) => s.category === category).map((s) => s.mb));
    return { label: category, stats: boxStats(values), values };
  });
  const all = spikes.map((s) => s.mb);
  const lo = Math.min(0, ...all);
  const hi = Math.max(1, ...all);
  return boxPlotChart('Memory spike per Bash call, by the study\'s categories (MB)', groups, niceTicks(lo, hi * 1.05, 8), mb);
}

export function characterizationSection(result: CharacterizeResult): Html {
  const valid = result.facts.filter((f) => f.valid);
  const m = result.measures;
  return section(
    'Characterization (the AgentCgroup study\'s measures)',
    h('p', { class: 'sub' }, `${m.valid_tasks} valid tasks of ${m.tasks} (${m.runs_selected} runs); ${m.sampling_note ?? 'no samples'}. Definitions: docs/characterization.md.`),
    toolTimeChart(valid),
    memoryChart(valid),
    burstsChart(valid),
    spikesChart(valid),
    rowsTable(characterizeQuery.columns, characterizeRows(m, true)),
  );
}

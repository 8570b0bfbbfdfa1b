// The report's SVG charts: time series on a shared time axis, tool calls as spans, box plots.
import type { BoxStats } from '../analysis/stats.js';
import { formatDuration } from '../units.js';
import { h, type Html } from './html.js';
import { assignLanes, linearScale, linePath, minMaxDownsample, niceTicks, type Point, type Scale } from './svg.js';

export const CHART_WIDTH = 1100;
const LEFT = 84;
const RIGHT = 24;
const TOP = 30;
const BOTTOM = 26;

/** Epoch ms → x, shared by every chart of a run so they line up; labels are offsets from `originMs`. */
export interface TimeAxis {
  x: Scale;
  originMs: number;
}

export function timeAxis(startMs: number, endMs: number, originMs: number): TimeAxis {
  return { x: linearScale([startMs, Math.max(endMs, startMs + 1)], [LEFT, CHART_WIDTH - RIGHT]), originMs };
}

const offsetLabel = (ms: number) => (Math.abs(ms) < 1 ? '0s' : formatDuration(ms));

function xAxis(axis: TimeAxis, y: number): Html {
  const [d0, d1] = axis.x.domain;
  const ticks = niceTicks((d0 - axis.originMs) / 1000, (d1 - axis.originMs) / 1000, 10).map((s) => axis.originMs + s * 1000);
  return h(
    'g',
    { class: 'axis x-axis' },
    h('line', { x1: LEFT, x2: CHART_WIDTH - RIGHT, y1: y, y2: y }),
    ticks.map((t) =>
      h('g', {}, h('line', { x1: axis.x(t), x2: axis.x(t), y1: y, y2: y + 4 }), h('text', { x: axis.x(t), y: y + 16, 'text-anchor': 'middle' }, offsetLabel(t - axis.originMs))),
    ),
  );
}

export interface Series {
  label: string;
  className: string;
  /** x: epoch ms. */
  points: Point[];
}

export interface LevelLine {
  value: number;
  label: string;
}

export interface Marker {
  tMs: number;
  label: string;
  className: 'oom-marker' | 'throttle-marker';
}

export interface TimeSeriesChart {
  title: string;
  className: string;
  axis: TimeAxis;
  series: Series[];
  /** Top of the value axis (0 at the bottom). */
  yMax: number;
  yTicks: number[];
  yLabel(value: number): string;
  levels: LevelLine[];
  markers: Marker[];
  height: number;
}

/** Lines over time, with horizontal level lines (limits) and vertical event markers. */
export function timeSeriesChart(c: TimeSeriesChart): Html {
  const bottom = c.height - BOTTOM;
  const y = linearScale([0, c.yMax], [bottom, TOP]);
  const legend = c.series.map((s, i) =>
    h('g', { transform: `translate(${CHART_WIDTH - RIGHT - 170 * (c.series.length - i)}, 12)` }, h('rect', { class: `legend-${s.className}`, width: 12, height: 4, y: -4 }), h('text', { x: 16, y: 0 }, s.label)),
  );
  return h(
    'svg',
    { class: `chart ${c.className}`, viewBox: `0 0 ${CHART_WIDTH} ${c.height}`, role: 'img', 'aria-label': c.title },
    h('text', { class: 'chart-title', x: LEFT, y: 14 }, c.title),
    legend,
    h(
      'g',
      { class: 'grid axis y-axis' },
      c.yTicks.map((v) => h('g', {}, h('line', { x1: LEFT, x2: CHART_WIDTH - RIGHT, y1: y(v), y2: y(v) }), h('text', { x: LEFT - 6, y: y(v) + 4, 'text-anchor': 'end' }, c.yLabel(v)))),
    ),
    xAxis(c.axis, bottom),
    c.series.map((s) => h('path', { class: `series series-${s.className}`, d: linePath(minMaxDownsample(s.points, 2 * CHART_WIDTH), c.axis.x, y) })),
    c.levels.map((l) =>
      h('g', {}, h('line', { class: 'limit-line', x1: LEFT, x2: CHART_WIDTH - RIGHT, y1: y(l.value), y2: y(l.value) }), h('text', { class: 'limit-label', x: LEFT + 6, y: y(l.value) - 5 }, l.label)),
    ),
    c.markers.map((m) => {
      const x = c.axis.x(m.tMs);
      const top = m.className === 'oom-marker' ? TOP : bottom - 10; // throttle events: short ticks on the axis
      return h('g', {}, h('line', { class: m.className, x1: x, x2: x, y1: top, y2: bottom }, h('title', {}, m.label)), m.className === 'oom-marker' ? h('text', { class: 'oom-label', x: x + 4, y: TOP + 12 }, m.label) : null);
    }),
  );
}

export interface ToolSpan {
  toolUseId: string;
  tool: string;
  label: string;
  /** Tooltip text. */
  title: string;
  startMs: number;
  /** NULL while the call has no result: drawn to the end of the axis. */
  endMs: number | null;
  subagent: boolean;
}

const LANE_HEIGHT = 20;
const PALETTE = ['#2563eb', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f', '#7c2d12', '#475569'];
const CHAR_WIDTH = 6; // approximate width of a 10px label character

/** One rect per tool call (class tool-span, data-tool-use-id), in lanes so overlapping calls stay visible. */
export function toolSpansChart(axis: TimeAxis, spans: ToolSpan[]): Html {
  const axisEnd = axis.x.domain[1];
  const lanes = assignLanes(spans.map((s) => ({ start: s.startMs, end: s.endMs ?? axisEnd })));
  const laneCount = Math.max(1, ...lanes.map((l) => l + 1));
  const height = TOP + laneCount * LANE_HEIGHT + BOTTOM + 4;
  const tools = [...new Set(spans.map((s) => s.tool))].sort();
  const color = (tool: string) => PALETTE[tools.indexOf(tool) % PALETTE.length];
  return h(
    'svg',
    { class: 'chart tool-spans', viewBox: `0 0 ${CHART_WIDTH} ${height}`, role: 'img', 'aria-label': 'tool calls over time' },
    h('text', { class: 'chart-title', x: LEFT, y: 14 }, `Tool calls (${spans.length})`),
    xAxis(axis, height - BOTTOM),
    spans.map((s, i) => {
      const x0 = axis.x(s.startMs);
      const width = Math.max(2, axis.x(s.endMs ?? axisEnd) - x0);
      const y = TOP + lanes[i] * LANE_HEIGHT;
      const fits = Math.floor((width - 6) / CHAR_WIDTH);
      const cls = ['tool-span', s.subagent ? 'subagent' : '', s.endMs === null ? 'unfinished' : ''].filter(Boolean).join(' ');
      return h(
        'g',
        {},
        h('rect', { class: cls, 'data-tool-use-id': s.toolUseId, x: x0, y, width, height: LANE_HEIGHT - 3, rx: 2, fill: color(s.tool) }, h('title', {}, s.title)),
        fits >= 3 ? h('text', { class: 'span-label', x: x0 + 3, y: y + 12 }, s.label.length > fits ? `${s.label.slice(0, fits - 1)}…` : s.label) : null,
      );
    }),
  );
}

export interface BoxGroup {
  label: string;
  stats: BoxStats | null;
  values: number[];
}

const BOX_ROW = 38;

/**
 * Horizontal box plots on one value axis from 0 (or from the lowest value, when some are negative): whiskers
 * min–max, box p25–p75, a line at the median, a dot per value.
 */
export function boxPlotChart(title: string, groups: BoxGroup[], ticks: number[], format: (v: number) => string): Html {
  const height = TOP + groups.length * BOX_ROW + BOTTOM + 4;
  const all = [...ticks, ...groups.flatMap((g) => g.values)];
  const max = all.reduce((a, v) => Math.max(a, v), 1e-9);
  const min = all.reduce((a, v) => Math.min(a, v), 0);
  const x = linearScale([min, max], [LEFT + 60, CHART_WIDTH - RIGHT]);
  const axisY = height - BOTTOM;
  return h(
    'svg',
    { class: 'chart box-plot', viewBox: `0 0 ${CHART_WIDTH} ${height}`, role: 'img', 'aria-label': title },
    h('text', { class: 'chart-title', x: LEFT, y: 14 }, title),
    h(
      'g',
      { class: 'grid axis' },
      ticks.map((v) => h('g', {}, h('line', { x1: x(v), x2: x(v), y1: TOP, y2: axisY }), h('text', { x: x(v), y: axisY + 16, 'text-anchor': 'middle' }, format(v)))),
    ),
    groups.map((g, i) => {
      const mid = TOP + i * BOX_ROW + BOX_ROW / 2;
      const name = g.label.length > 18 ? `${g.label.slice(0, 17)}…` : g.label;
      const label = h('text', { x: LEFT + 52, y: mid + 4, 'text-anchor': 'end' }, h('title', {}, g.label), `${name} (n=${g.values.length})`);
      if (!g.stats) return h('g', { class: 'box empty' }, label, h('text', { x: LEFT + 64, y: mid + 4, class: 'note' }, 'no values'));
      const s = g.stats;
      return h(
        'g',
        { class: 'box', 'data-group': g.label },
        label,
        h('line', { x1: x(s.min), x2: x(s.max), y1: mid, y2: mid }),
        h('line', { x1: x(s.min), x2: x(s.min), y1: mid - 7, y2: mid + 7 }),
        h('line', { x1: x(s.max), x2: x(s.max), y1: mid - 7, y2: mid + 7 }),
        h('rect', { x: x(s.q1), y: mid - 11, width: Math.max(1, x(s.q3) - x(s.q1)), height: 22 }, h('title', {}, `min ${format(s.min)} · p25 ${format(s.q1)} · median ${format(s.median)} · p75 ${format(s.q3)} · max ${format(s.max)}`)),
        h('line', { x1: x(s.median), x2: x(s.median), y1: mid - 11, y2: mid + 11 }),
        g.values.map((v) => h('circle', { cx: x(v), cy: mid, r: 2.5 })),
      );
    }),
  );
}

export interface Bar {
  label: string;
  value: number;
  /** Tooltip text. */
  title: string;
}

/** Vertical bars in the given order on a value axis from 0, with an optional dashed reference line (a median). */
export function barChart(title: string, bars: Bar[], ticks: number[], format: (v: number) => string, reference?: LevelLine): Html {
  const height = 240;
  const bottom = height - BOTTOM;
  const max = Math.max(...ticks, ...bars.map((b) => b.value), 1e-9);
  const y = linearScale([0, max], [bottom, TOP]);
  const slot = (CHART_WIDTH - RIGHT - LEFT) / Math.max(1, bars.length);
  return h(
    'svg',
    { class: 'chart bar-chart', viewBox: `0 0 ${CHART_WIDTH} ${height}`, role: 'img', 'aria-label': title },
    h('text', { class: 'chart-title', x: LEFT, y: 14 }, title),
    h('g', { class: 'grid axis y-axis' }, ticks.map((v) => h('g', {}, h('line', { x1: LEFT, x2: CHART_WIDTH - RIGHT, y1: y(v), y2: y(v) }), h('text', { x: LEFT - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(v))))),
    bars.map((b, i) =>
      h('rect', { class: 'bar', 'data-label': b.label, x: LEFT + i * slot + slot * 0.1, y: y(b.value), width: Math.max(1, slot * 0.8), height: Math.max(0, bottom - y(b.value)) }, h('title', {}, b.title)),
    ),
    reference ? h('g', {}, h('line', { class: 'reference-line', x1: LEFT, x2: CHART_WIDTH - RIGHT, y1: y(reference.value), y2: y(reference.value) }), h('text', { class: 'reference-label', x: CHART_WIDTH - RIGHT - 4, y: y(reference.value) - 5, 'text-anchor': 'end' }, reference.label)) : null,
  );
}

export interface Band {
  /** x positions, 0..1. */
  xs: number[];
  median: number[];
  low: number[];
  high: number[];
}

/** A median line over a shaded low–high band, on an x axis of 0–100 % (normalised progress). */
export function bandChart(title: string, band: Band, ticks: number[], format: (v: number) => string, legend: { line: string; band: string }): Html {
  const height = 260;
  const bottom = height - BOTTOM;
  const max = Math.max(...ticks, ...band.high, 1e-9);
  const x = linearScale([0, 1], [LEFT, CHART_WIDTH - RIGHT]);
  const y = linearScale([0, max], [bottom, TOP]);
  const line = (values: number[]) => linePath(band.xs.map((p, i) => ({ x: p, y: values[i] })), x, y);
  const area = band.xs.length ? `${line(band.high)}${band.xs.map((p, i) => `L${Math.round(x(p) * 10) / 10},${Math.round(y(band.low[i]) * 10) / 10}`).reverse().join('')}Z` : '';
  return h(
    'svg',
    { class: 'chart band-chart', viewBox: `0 0 ${CHART_WIDTH} ${height}`, role: 'img', 'aria-label': title },
    h('text', { class: 'chart-title', x: LEFT, y: 14 }, title),
    h('g', { transform: `translate(${CHART_WIDTH - RIGHT - 360}, 12)` }, h('rect', { class: 'legend-band', width: 12, height: 8, y: -7 }), h('text', { x: 16, y: 0 }, legend.band), h('rect', { class: 'legend-memory-current', x: 190, width: 12, height: 4, y: -4 }), h('text', { x: 206, y: 0 }, legend.line)),
    h('g', { class: 'grid axis y-axis' }, ticks.map((v) => h('g', {}, h('line', { x1: LEFT, x2: CHART_WIDTH - RIGHT, y1: y(v), y2: y(v) }), h('text', { x: LEFT - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(v))))),
    h('g', { class: 'axis x-axis' }, [0, 0.2, 0.4, 0.6, 0.8, 1].map((p) => h('text', { x: x(p), y: bottom + 16, 'text-anchor': 'middle' }, `${Math.round(p * 100)}%`))),
    h('path', { class: 'band', d: area }),
    h('path', { class: 'series series-memory-current', d: line(band.median) }),
  );
}

export interface ShareRow {
  label: string;
  /** Counts of the row's parts, drawn as shares of their sum. */
  parts: { label: string; count: number; className: string }[];
}

/** One horizontal 100 % bar per row, split into its parts' shares (where bursts fall: in tool calls or between them). */
export function shareChart(title: string, rows: ShareRow[]): Html {
  const height = TOP + rows.length * BOX_ROW + 8;
  const x = linearScale([0, 1], [LEFT + 160, CHART_WIDTH - RIGHT]);
  return h(
    'svg',
    { class: 'chart share-chart', viewBox: `0 0 ${CHART_WIDTH} ${height}`, role: 'img', 'aria-label': title },
    h('text', { class: 'chart-title', x: LEFT, y: 14 }, title),
    rows.map((row, i) => {
      const top = TOP + i * BOX_ROW;
      const total = row.parts.reduce((a, p) => a + p.count, 0);
      let at = 0;
      return h(
        'g',
        { class: 'share-row', 'data-row': row.label },
        h('text', { x: LEFT + 152, y: top + 16, 'text-anchor': 'end' }, `${row.label} (n=${total})`),
        total === 0
          ? h('text', { x: LEFT + 164, y: top + 16, class: 'note' }, 'none')
          : row.parts.map((p) => {
              const share = p.count / total;
              const x0 = x(at);
              at += share;
              const width = x(at) - x0;
              return h(
                'g',
                {},
                h('rect', { class: `share ${p.className}`, x: x0, y: top + 2, width, height: 22 }, h('title', {}, `${p.label}: ${p.count} (${(share * 100).toFixed(1)}%)`)),
                width > 90 ? h('text', { class: 'share-label', x: x0 + 4, y: top + 17 }, `${p.label} ${(share * 100).toFixed(1)}%`) : null,
              );
            }),
      );
    }),
  );
}

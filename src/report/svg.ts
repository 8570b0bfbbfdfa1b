// Pure pieces of the report's charts: scales, tick values, path data, lanes for overlapping spans.

export interface Scale {
  (value: number): number;
  domain: readonly [number, number];
  range: readonly [number, number];
}

/** Maps [d0, d1] linearly onto [r0, r1]; an empty domain maps everything to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const scale = ((v: number) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0))) as Scale;
  scale.domain = domain;
  scale.range = range;
  return scale;
}

/** Round tick values (1, 2 or 5 × a power of ten) covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const rough = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Ticks for a byte axis from 0 to `max`: round numbers of the binary unit (KiB, MiB, GiB) that fits `max`. */
export function byteTicks(max: number, count = 5): number[] {
  let unit = 1;
  while (max / unit >= 1024 && unit < 1024 ** 4) unit *= 1024;
  return niceTicks(0, max / unit, count).map((v) => v * unit);
}

export interface Point {
  x: number;
  y: number | null;
}

const round = (v: number) => Math.round(v * 10) / 10;

/** SVG path data through the points in order; a null y breaks the line (missing is not zero). */
export function linePath(points: readonly Point[], x: Scale, y: Scale): string {
  const parts: string[] = [];
  let drawing = false;
  for (const p of points) {
    if (p.y === null) {
      drawing = false;
      continue;
    }
    parts.push(`${drawing ? 'L' : 'M'}${round(x(p.x))},${round(y(p.y))}`);
    drawing = true;
  }
  return parts.join('');
}

/**
 * A lane (row) for each span so that spans in one lane do not overlap: spans taken in start order, each put
 * in the first lane whose last span ended at or before its start.
 */
export function assignLanes(spans: readonly { start: number; end: number }[]): number[] {
  const order = spans.map((_, i) => i).sort((a, b) => spans[a].start - spans[b].start || a - b);
  const laneEnds: number[] = [];
  const lanes = new Array<number>(spans.length);
  for (const i of order) {
    let lane = laneEnds.findIndex((end) => end <= spans[i].start);
    if (lane < 0) lane = laneEnds.length;
    laneEnds[lane] = Math.max(spans[i].end, spans[i].start);
    lanes[i] = lane;
  }
  return lanes;
}

/**
 * At most about `maxPoints` points for a line a few hundred pixels wide: the points split into equal runs, and
 * of each run the lowest and the highest kept in time order, so peaks survive; a missing value in a run keeps
 * the line's gap there.
 */
export function minMaxDownsample(points: readonly Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints) return [...points];
  const size = Math.ceil(points.length / Math.max(1, Math.floor(maxPoints / 2)));
  const out: Point[] = [];
  for (let i = 0; i < points.length; i += size) {
    const run = points.slice(i, i + size);
    const present = run.filter((p) => p.y !== null);
    if (present.length) {
      const low = present.reduce((a, b) => (b.y! < a.y! ? b : a));
      const high = present.reduce((a, b) => (b.y! > a.y! ? b : a));
      out.push(...(low === high ? [low] : low.x <= high.x ? [low, high] : [high, low]));
    }
    if (present.length < run.length) out.push({ x: run[run.length - 1].x, y: null });
  }
  return out;
}

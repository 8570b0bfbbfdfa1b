// The report page: one self-contained HTML document (inline CSS, inline SVG, no scripts, no network).
import { humanCell, isNumeric, type Column, type Row } from '../analysis/output.js';
import { fragment, h, raw, type Child, type Html } from './html.js';

const CSS = `
:root { color-scheme: light; --fg: #1f2933; --muted: #616e7c; --line: #d9e2ec; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 24px auto; max-width: 1180px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub, .note { color: var(--muted); } .note { font-style: italic; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; max-width: 420px; overflow-wrap: break-word; }
.scroll { overflow-x: auto; }
th { background: #f5f7fa; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv th { width: 220px; background: none; font-weight: 500; color: var(--muted); }
.status-ok { color: #15803d; font-weight: 600; } .status-failed, .status-oom, .status-timeout, .status-interrupted { color: #b91c1c; font-weight: 600; }
svg.chart { display: block; width: 100%; height: auto; margin: 6px 0 2px; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--fg); }
svg.chart .axis line, svg.chart .grid line { stroke: var(--line); } svg.chart .axis text { fill: var(--muted); }
svg.chart .chart-title { font-size: 13px; font-weight: 600; }
.series { fill: none; stroke-width: 1.6; } .series-memory-current { stroke: #2563eb; } .series-working-set { stroke: #16a34a; } .series-cpu { stroke: #9333ea; } .series-original-memory { stroke: #9ca3af; stroke-dasharray: 4 3; }
.area { stroke: none; fill-opacity: 0.8; } .area-agent, .legend-agent { fill: #2563eb; } .area-tools, .legend-tools { fill: #ea580c; } .area-other-processes, .legend-other-processes { fill: #94a3b8; }
.legend-memory-current { fill: #2563eb; } .legend-working-set { fill: #16a34a; } .legend-cpu { fill: #9333ea; } .legend-original-memory { fill: #9ca3af; }
.limit-line { stroke: #dc2626; stroke-width: 1.5; stroke-dasharray: 6 4; } text.limit-label { fill: #dc2626; }
.oom-marker { stroke: #dc2626; stroke-width: 2; } text.oom-label { fill: #dc2626; font-weight: 600; }
.throttle-marker { stroke: #f59e0b; stroke-width: 1.5; }
.limit-marker { stroke: #7c3aed; stroke-width: 1.5; stroke-dasharray: 2 3; } text.limit-label-event { fill: #7c3aed; font-weight: 600; }
.tool-span { stroke: #1f2933; stroke-width: 0.5; fill-opacity: 0.85; } .tool-span.subagent { stroke-dasharray: 3 2; } .tool-span.unfinished { fill-opacity: 0.35; }
text.span-label { font-size: 10px; fill: #fff; pointer-events: none; }
.box rect { fill: #bfdbfe; stroke: #1e40af; } .box line { stroke: #1e40af; stroke-width: 1.5; } .box circle { fill: #1e40af; fill-opacity: 0.5; }
.bar { fill: #60a5fa; } .reference-line { stroke: #1e40af; stroke-width: 1.5; stroke-dasharray: 6 4; } text.reference-label { fill: #1e40af; }
.band { fill: #bfdbfe; fill-opacity: 0.7; stroke: none; } .legend-band { fill: #bfdbfe; }
.share.in-tool { fill: #ea580c; } .share.reasoning { fill: #94a3b8; } text.share-label { fill: #fff; font-weight: 600; }
pre.patch { background: #f5f7fa; border: 1px solid var(--line); padding: 10px; overflow: auto; font-size: 12px; max-height: 700px; }
`;

export function page(title: string, ...body: Child[]): string {
  const doc = h(
    'html',
    { lang: 'en' },
    h('head', {}, h('meta', { charset: 'utf-8' }), h('title', {}, title), h('style', {}, raw(CSS))),
    h('body', {}, ...body),
  );
  return `<!doctype html>\n${doc.html}\n`;
}

/** A query's rows as an HTML table, cells in human units. */
export function rowsTable(columns: Column[], rows: Row[], attrs: Record<string, string> = {}): Html {
  // Headers may break after an underscore (peak_memory_<wbr>p95), never inside a word.
  const header = (key: string) => key.split('_').map((part, i) => [i ? h('wbr') : null, i ? `_${part}` : part]);
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      attrs,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { title: c.about }, header(c.key))))),
      h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c) => h('td', { class: isNumeric(c.kind) ? 'num' : null }, humanCell(row[c.key] ?? null, c.kind)))))),
    ),
  );
}

export function keyValueTable(pairs: [string, Child][]): Html {
  return h('table', { class: 'kv' }, h('tbody', {}, pairs.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))));
}

export function section(title: string, ...content: Child[]): Html {
  return fragment(h('h2', {}, title), ...content);
}

export function note(text: string): Html {
  return h('p', { class: 'note' }, text);
}

// `agentpod report` on a database holding the real Claude Code fixture trace and samples synthesized over its
// time span with a known memory curve, opened in headless Chromium: the charts must render to scale, one span
// per tool call, and the page must need no network.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisDb, FIXTURE_SESSION, ingestFixtureTrace, insertBatch, insertRun, insertSamples, MB, type SampleFields } from '../helpers/analysis-db.js';
import { cliPath, repoRoot } from '../helpers/user.js';

const CHROMIUM = '/usr/bin/chromium';
// Without Chromium the rendering tests skip on a developer's machine, and fail in CI (which installs it).
const noChromium = !existsSync(CHROMIUM) && !process.env.CI;
const ARTIFACTS = join(repoRoot, 'tests', '.artifacts');
const PEAK = 400 * MB;
const BASE = 100 * MB;
const LIMIT = 512 * 1024 * 1024;

let dbPath: string;
let runDir: string;
let toolCalls: number;
const tempDirs: string[] = [];

function chromium(args: string[]) {
  const profile = mkdtempSync(join(tmpdir(), 'agentpod-chromium-'));
  tempDirs.push(profile);
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--window-size=1400,2000'];
  return execa(CHROMIUM, [...flags, ...args], { reject: false, timeout: 90_000 });
}

/** A copy of the report with a probe script that measures the laid-out SVG into the DOM, read back with --dump-dom. */
const PROBE = `<script>
  const box = (el) => { const b = el.getBBox(); return { x: b.x, y: b.y, width: b.width, height: b.height }; };
  const memory = document.querySelector('svg.memory');
  const result = {
    memoryPaths: [...memory.querySelectorAll('path.series')].map((p) => ({ length: p.getTotalLength(), box: box(p) })),
    cpuPaths: [...document.querySelectorAll('svg.cpu path.series')].map((p) => p.getTotalLength()),
    axisY: Number(memory.querySelector('.x-axis line').getAttribute('y1')),
    limitY: Number(memory.querySelector('line.limit-line').getAttribute('y1')),
    limitLabel: memory.querySelector('text.limit-label').textContent,
    oomMarkers: memory.querySelectorAll('.oom-marker').length,
    throttleMarkers: document.querySelectorAll('svg.cpu .throttle-marker').length,
    spans: [...document.querySelectorAll('rect.tool-span')].map((r) => ({ id: r.dataset.toolUseId, width: box(r).width })),
    svgWidth: memory.getBoundingClientRect().width,
  };
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify(result);
  document.body.append(out);
</script>`;

beforeAll(async () => {
  const { db, path, dir } = analysisDb();
  dbPath = path;
  tempDirs.push(dir);
  await ingestFixtureTrace(db);
  const span = db.prepare('SELECT first_ms, last_ms FROM session_facts WHERE session_id = ?').get(FIXTURE_SESSION) as { first_ms: number; last_ms: number };
  toolCalls = (db.prepare('SELECT COUNT(*) AS n FROM tool_calls WHERE session_id = ?').get(FIXTURE_SESSION) as { n: number }).n;
  runDir = join(dir, 'runs', 'r-report');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'patch.diff'), 'diff --git a/notes.txt b/notes.txt\n--- a/notes.txt\n+++ b/notes.txt\n@@ -1 +1 @@\n-hello notes\n+hello <notes> & "more"\n');
  insertBatch(db, 'b-report');
  const start = span.first_ms - 50;
  const end = span.last_ms + 50;
  insertRun(db, {
    id: 'r-report', session_id: FIXTURE_SESSION, run_dir: runDir, batch_id: 'b-report', status: 'oom', oom_killed: 1, started_at: start, finished_at: end,
    duration_ms: end - start, memory_limit_bytes: LIMIT, cpus: 1, limits_enforced: 1, sample_source: 'cgroup-v2', sample_interval_ms: 10, peak_memory_bytes: PEAK, patch_bytes: 120, patch_files: 1,
  });
  // Memory: a triangle from BASE at both ends to PEAK in the middle; CPU: 0.5 cores; throttled twice; one OOM kill near the end.
  const samples: SampleFields[] = [];
  for (let t = start, i = 0; t <= end; t += 10, i++) {
    const f = 1 - Math.abs((t - start) / (end - start) - 0.5) * 2;
    const memory = Math.round(BASE + (PEAK - BASE) * f);
    samples.push({
      t_ms: t, memory_current_bytes: memory, memory_working_set_bytes: Math.round(memory * 0.8), cpu_usage_usec: i * 5000,
      cpu_nr_throttled: t > start + 100 ? (t > start + 200 ? 2 : 1) : 0, memory_events_oom_kill: t > end - 30 ? 1 : 0,
    });
  }
  samples[Math.floor(samples.length / 2)].memory_current_bytes = PEAK; // the exact peak at the middle sample
  insertSamples(db, 'r-report', samples);
  db.close();
});

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('agentpod report', () => {
  let html: string;
  let reportPath: string;

  beforeAll(async () => {
    const result = await execa(process.execPath, [cliPath, 'report', 'r-report', '--db', dbPath], { reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    reportPath = String(result.stdout).trim();
    html = readFileSync(reportPath, 'utf8');
  });

  it('writes one self-contained file into the run folder and prints its path', () => {
    expect(reportPath).toBe(join(runDir, 'report.html'));
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).toContain('+hello &lt;notes&gt; &amp; &quot;more&quot;');
  });

  it.skipIf(noChromium)('renders in headless Chromium: curves to scale, the limit, one span per tool call', async () => {
    const probePath = join(runDir, 'report-probe.html');
    writeFileSync(probePath, html.replace('</body>', `${PROBE}</body>`));
    const dump = await chromium(['--dump-dom', `file://${probePath}`]);
    expect(dump.exitCode, String(dump.stderr)).toBe(0);
    const probe = JSON.parse(/<pre id="probe">(.*?)<\/pre>/s.exec(String(dump.stdout))![1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));

    expect(probe.memoryPaths).toHaveLength(2); // memory.current and working set
    for (const p of probe.memoryPaths) expect(p.length).toBeGreaterThan(100);
    expect(probe.cpuPaths).toHaveLength(1);
    expect(probe.cpuPaths[0]).toBeGreaterThan(100);
    expect(probe.svgWidth).toBeGreaterThan(800);
    // On a value axis from 0, heights over the x axis are proportional to the values: the curve's top is the
    // peak, its bottom the base, against the limit line.
    const current = probe.memoryPaths[0].box;
    const toLimit = probe.axisY - probe.limitY;
    expect((probe.axisY - current.y) / toLimit).toBeCloseTo(PEAK / LIMIT, 2);
    expect((probe.axisY - (current.y + current.height)) / toLimit).toBeCloseTo(BASE / LIMIT, 2);
    expect(probe.limitLabel).toBe('limit 512 MiB (enforced)');
    expect(probe.oomMarkers).toBe(1);
    expect(probe.throttleMarkers).toBe(2);
    expect(probe.spans).toHaveLength(toolCalls);
    expect(toolCalls).toBe(5); // the fixture's 4 main-conversation calls and the subagent's
    for (const s of probe.spans) expect(s.width).toBeGreaterThanOrEqual(2);

    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, 'report-run.png');
    rmSync(screenshot, { force: true });
    const shot = await chromium([`--screenshot=${screenshot}`, `file://${reportPath}`]);
    expect(shot.exitCode, String(shot.stderr)).toBe(0);
    expect(statSync(screenshot).size).toBeGreaterThan(20_000);
  });

  it.skipIf(noChromium)('compares the profiles of a batch with box plots', async () => {
    const out = join(runDir, 'batch.html');
    const result = await execa(process.execPath, [cliPath, 'report', '--batch', 'b-report', '--db', dbPath, '-o', out], { reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toMatch(/https?:\/\//);
    const dump = await chromium(['--dump-dom', `file://${out}`]);
    expect(String(dump.stdout).match(/<g class="box" data-group="default">/g)).toHaveLength(2); // peak memory and duration
    const screenshot = join(ARTIFACTS, 'report-batch.png');
    const shot = await chromium([`--screenshot=${screenshot}`, `file://${out}`]);
    expect(shot.exitCode, String(shot.stderr)).toBe(0);
  });

  it('fails with one clear line for an unknown run', async () => {
    const result = await execa(process.execPath, [cliPath, 'report', 'nope', '--db', dbPath], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr).trim()).toBe('agentpod: no run nope in the database');
  });
});

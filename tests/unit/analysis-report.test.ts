import { describe, expect, it } from 'vitest';
import type { EvaluationRow } from '../../src/grading/store.js';
import type { MeasuredToolCall } from '../../src/analysis/tool-resources.js';
import { peakDownsample } from '../../src/report/charts.js';
import { escapeHtml, h } from '../../src/report/html.js';
import { counterIncrements, mergeEvents, renderRunReport, type RunReportData } from '../../src/report/run-report.js';
import { assignLanes, byteTicks, linearScale, linePath, minMaxDownsample, niceTicks } from '../../src/report/svg.js';

describe('SVG pieces', () => {
  it('maps a domain linearly onto a range', () => {
    const x = linearScale([1000, 2000], [0, 500]);
    expect([x(1000), x(1500), x(2000)]).toEqual([0, 250, 500]);
    const y = linearScale([0, 10], [200, 0]); // screen y grows downwards
    expect(y(10)).toBe(0);
    expect(linearScale([5, 5], [0, 100])(5)).toBe(50);
  });

  it('picks round ticks', () => {
    expect(niceTicks(0, 1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(niceTicks(0, 1.7, 4)).toEqual([0, 0.5, 1, 1.5]);
    expect(niceTicks(3, 3)).toEqual([3]);
    const gib = 1024 ** 3;
    expect(byteTicks(3 * gib, 3)).toEqual([0, gib, 2 * gib, 3 * gib]);
    expect(byteTicks(600 * 1024 ** 2, 3)).toEqual([0, 200, 400, 600].map((m) => m * 1024 ** 2));
  });

  it('draws a line through the points and breaks it at a missing value', () => {
    const x = linearScale([0, 10], [0, 100]);
    const y = linearScale([0, 1], [50, 0]);
    expect(linePath([{ x: 0, y: 0 }, { x: 5, y: 1 }, { x: 6, y: null }, { x: 10, y: 0.5 }], x, y)).toBe('M0,50L50,0M100,25');
    expect(linePath([], x, y)).toBe('');
  });

  it('thins long series keeping each stretch\'s lowest and highest point, and the gaps', () => {
    const points = Array.from({ length: 1000 }, (_, i) => ({ x: i, y: i === 500 ? 99 : i % 10 }));
    const thin = minMaxDownsample(points, 100); // 50 stretches of 20 points, 2 points each
    expect(thin).toHaveLength(100);
    expect(Math.max(...thin.map((p) => p.y!))).toBe(99); // the one-sample peak survives
    expect(thin.map((p) => p.x)).toEqual([...thin.map((p) => p.x)].sort((a, b) => a - b));
    const gappy = [1, null, 3, 4, 5, 6, 7, 8].map((y, x) => ({ x, y }));
    expect(minMaxDownsample(gappy, 4)).toEqual([{ x: 0, y: 1 }, { x: 3, y: 4 }, { x: 3, y: null }, { x: 4, y: 5 }, { x: 7, y: 8 }]);
    expect(minMaxDownsample(points.slice(0, 5), 100)).toHaveLength(5);
  });

  it('merges events closer than a pixel', () => {
    expect(mergeEvents([{ tMs: 0, by: 1 }, { tMs: 5, by: 2 }, { tMs: 20, by: 1 }], 10)).toEqual([{ tMs: 0, by: 3 }, { tMs: 20, by: 1 }]);
  });

  it('puts overlapping spans in separate lanes and reuses a lane once it is free', () => {
    // an Agent call 0–100 with a subagent call 10–50 inside it, then calls at 60–70 and 120–130
    expect(assignLanes([{ start: 0, end: 100 }, { start: 10, end: 50 }, { start: 60, end: 70 }, { start: 120, end: 130 }])).toEqual([0, 1, 1, 0]);
  });
});

describe('HTML', () => {
  it('escapes text and attribute values', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(h('td', { title: '"><script>' }, '<b>').html).toBe('<td title="&quot;&gt;&lt;script&gt;">&lt;b&gt;</td>');
  });
});

const T = 1_700_000_000_000;

function call(fields: Partial<MeasuredToolCall>): MeasuredToolCall {
  return {
    tool: 'Bash', family: 'other', runId: 'r1', toolUseId: 'toolu_1', agentId: null, detail: '', startMs: T + 100, endMs: T + 200, durationMs: 100, isError: 0,
    coverage: 'inside', samples: 1, peakMemoryBytes: 100, memoryBeforeBytes: 50, memoryDeltaBytes: 50, cpuSeconds: 0.01, avgCores: 0.1, ...fields,
  };
}

function reportData(fields: Partial<RunReportData>): RunReportData {
  return {
    run: { id: 'r1', status: 'ok', profile: 'small', started_at: T, finished_at: T + 1000, session_id: 's1', memory_limit_bytes: 1000, limits_enforced: 0 },
    runLine: {},
    samples: [],
    cpuCores: [],
    hasTrace: true,
    calls: [],
    tools: [],
    patch: null,
    evaluations: [],
    evalSamples: [],
    ...fields,
  };
}

describe('the run report', () => {
  it('escapes everything that comes from traces and the patch', () => {
    const html = renderRunReport(
      reportData({
        calls: [call({ detail: '<script>alert(1)</script>', toolUseId: 'toolu_"x' })],
        patch: { text: '+</pre><script>alert(2)</script>', bytes: 31 },
      }),
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('data-tool-use-id="toolu_&quot;x"');
    expect(html).toContain('+&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  it('says so when the run has no samples or no trace', () => {
    const html = renderRunReport(reportData({ hasTrace: false }));
    expect(html).toContain('No resource samples were recorded for this run');
    expect(html).toContain('No trace of session s1 is in the database');
    expect(html).not.toContain('class="tool-span');
  });

  it('shows the latest verdict with its failing tests, every grading, and the test run\'s memory', () => {
    const evaluation = (attempt: number, status: EvaluationRow['status'], failing: string[]): EvaluationRow => ({
      id: `r1/eval-${attempt}`, run_id: 'r1', attempt, status, resolution: status === 'resolved' ? 'FULL' : 'NO', message: `grading ${attempt} said so`, instance_id: 'o__p-1',
      f2p_success: status === 'resolved' ? 1 : 0, f2p_failure: status === 'resolved' ? 0 : 1, p2p_success: 3 - failing.length + 1, p2p_failure: failing.length - 1,
      tests_status: JSON.stringify({ FAIL_TO_PASS: { success: [], failure: failing.slice(0, 1) }, PASS_TO_PASS: { success: [], failure: failing.slice(1) } }),
      test_exit_code: 1, parser: 'parse_log_pytest', eval_type: 'pass_and_fail', eval_script_origin: 'eval_script', source_image: 'i', eval_profile: 'eval',
      memory_limit_bytes: null, cpus: null, timeout_ms: 1_800_000, eval_dir: `/runs/r1/eval/attempt-${attempt}`, started_at: T + 2000, finished_at: T + 5000, duration_ms: 3000,
    });
    const html = renderRunReport(
      reportData({
        evaluations: [evaluation(1, 'resolved', []), evaluation(2, 'unresolved', ['t.py::test_new', 't.py::test_<old>'])],
        evalSamples: [2100, 3000, 4000].map((t, i) => ({ t_ms: T + t, memory_current_bytes: (i + 1) * 50e6, memory_working_set_bytes: null, memory_events_oom_kill: null, cpu_nr_throttled: null })),
      }),
    );
    expect(html).toContain('<strong>unresolved</strong> — grading 2 said so');
    expect(html).toContain('FAIL_TO_PASS failing (1)');
    expect(html).toContain('t.py::test_&lt;old&gt;');
    expect(html).toContain('aria-label="Memory of the test run"');
    expect(html.match(/grading \d said so/g)).toHaveLength(1);
    expect(html).toContain('/runs/r1/eval/attempt-2');
    expect(renderRunReport(reportData({}))).toContain('Not graded (agentpod grade RUN_ID grades it).');
  });

  it('overlays a replay\'s original memory curve', () => {
    const samples = [0, 100, 200].map((t) => ({ t_ms: T + t, memory_current_bytes: 100 + t, memory_working_set_bytes: 90, memory_events_oom_kill: 0, cpu_nr_throttled: 0 }));
    expect(renderRunReport(reportData({ samples }))).not.toContain('class="series series-original-memory"');
    const html = renderRunReport(reportData({ samples, original: { runId: 'r0', samples: [{ t_ms: T + 50, memory_current_bytes: 700 }, { t_ms: T + 400, memory_current_bytes: 800 }] } }));
    expect(html).toContain('class="series series-original-memory"');
    expect(html).toContain('A replay of run r0');
  });

  it('draws the limit with whether it was enforced, OOM kills and throttling', () => {
    const sample = (t: number, mem: number, ooms: number, throttled: number) => ({ t_ms: T + t, memory_current_bytes: mem, memory_working_set_bytes: mem - 10, memory_events_oom_kill: ooms, cpu_nr_throttled: throttled });
    const samples = [sample(0, 100, 0, 0), sample(100, 900, 0, 3), sample(200, 990, 1, 3)];
    expect(counterIncrements(samples, 'memory_events_oom_kill')).toEqual([{ tMs: T + 200, by: 1 }]);
    expect(counterIncrements(samples, 'cpu_nr_throttled')).toEqual([{ tMs: T + 100, by: 3 }]);
    const html = renderRunReport(reportData({ samples, cpuCores: [{ t_ms: T, cpu_cores: null }, { t_ms: T + 100, cpu_cores: 0.5 }], calls: [call({})] }));
    expect(html).toContain('limit 1000 B (NOT enforced on this host)');
    expect(html.match(/class="oom-marker"/g)).toHaveLength(1);
    expect(html.match(/class="throttle-marker"/g)).toHaveLength(1);
    expect(html.match(/class="tool-span"/g)).toHaveLength(1);
  });

  it('stacks the agent and its tools, and draws limit changes on the timeline with a table of them', () => {
    const samples = [0, 100, 200].map((t) => ({ t_ms: T + t, memory_current_bytes: 500, memory_working_set_bytes: 400, memory_events_oom_kill: 0, cpu_nr_throttled: 0 }));
    const stack = [0, 100, 200].map((t) => ({ tMs: T + t, agentRssBytes: 300, toolsRssBytes: t === 100 ? 150 : 0, otherRssBytes: 10 }));
    const limitEvents = [
      { t_ms: T + 10, origin: 'start' as const, key: 'memory' as const, requested: '1000', read_back: '1000', confirmed: 1, note: null },
      { t_ms: T + 150, origin: 'command' as const, key: 'memory' as const, requested: '600', read_back: '598', confirmed: 1, note: null },
      { t_ms: T + 150, origin: 'command' as const, key: 'memory-swap' as const, requested: '600', read_back: '0', confirmed: 1, note: null },
      { t_ms: T + 180, origin: 'schedule' as const, key: 'cpus' as const, requested: '0.5', read_back: null, confirmed: 0, note: 'not applied: no cgroup' },
    ];
    const html = renderRunReport(reportData({ samples, stack, limitEvents, controls: { memory_high_bytes: 800, memory_high_events: 3, memory_stall_some_usec: 2000 } }));
    expect(html).toContain('class="area area-agent"');
    expect(html).toContain('class="area area-tools"');
    // One marker per change (memory on the memory chart, cpus on the CPU chart), none for the start.
    expect(html.match(/class="limit-marker"/g)).toHaveLength(2);
    expect(html).toContain('agentpod limits: memory 600 B: confirmed');
    expect(html).toContain('schedule: cpus 0.5: NOT applied');
    expect(html).toContain('memory.high 800 B (NOT in force on this host)');
    expect(html).toContain('memory.high 800 B: 3 high events, throttled 2ms');
    expect(html).toContain('<h2>Limits</h2>');
    expect(peakDownsample([1, 5, 2, 2, 9, 1], 3)).toEqual([1, 2, 4]);
  });
});

// The sampler live, in a real rootless container run by the test user: on this project's hybrid-cgroup CI
// host the container has no cgroup of its own and the proc fallback samples it; on a pure cgroup v2 host the
// same test expects the container's cgroup.
import { describe, expect, it } from 'vitest';
import { holdMemoryProgram, isPureCgroupV2, sampledRun } from '../helpers/sampled-run.js';

const expectedSource = isPureCgroupV2 ? 'cgroup-v2' : 'proc';
const MiB = 2 ** 20;

describe('sampler on a live container', () => {
  it(`samples a container holding 200 MiB (source ${expectedSource}) and writes the run row`, async () => {
    const run = await sampledRun({ python: holdMemoryProgram(200, 4), intervalMs: 100 });
    expect(run.exitCode, run.logs.join('\n')).toBe(0);
    expect(run.summary.source).toBe(expectedSource);
    expect(run.summary.peakMemoryBytes!).toBeGreaterThanOrEqual(190 * MiB);
    expect(run.summary.cpuSeconds!).toBeGreaterThan(0);
    // About every 100 ms over ~4 s of holding (finding the container through podman can take a while on a busy host).
    expect(run.summary.samples).toBeGreaterThanOrEqual(10);
    expect(run.row).toMatchObject({
      sample_source: expectedSource,
      sample_count: run.summary.samples,
      sample_interval_ms: 100,
      peak_memory_bytes: run.summary.peakMemoryBytes,
      limits_enforced: null, // no limit asked
    });
    expect(run.samples).toHaveLength(run.summary.samples);
    const times = run.samples.map((s) => s.t_ms as number);
    expect(times.every((t, i) => i === 0 || t > times[i - 1])).toBe(true);
    // Proc: no kernel peak, RSS/PSS instead; cgroup: the other way round.
    const last = run.samples.at(-1)!;
    if (expectedSource === 'proc') {
      expect(run.summary.kernelPeakMemoryBytes).toBeNull();
      expect(last.memory_peak_bytes).toBeNull();
      expect(last.memory_rss_bytes).toBe(last.memory_current_bytes);
      // PSS (a page-table walk) on the first sample and then only as often as its CPU budget allows.
      const withPss = run.samples.filter((s) => s.memory_pss_bytes !== null);
      expect(withPss[0]).toBe(run.samples[0]);
      expect(withPss.length).toBeLessThan(run.samples.length);
      expect(withPss.every((s) => (s.memory_pss_bytes as number) > 0 && s.memory_working_set_bytes === s.memory_pss_bytes)).toBe(true);
      expect(last.psi_cpu_some_total_usec).toBeNull();
    } else {
      expect(run.summary.kernelPeakMemoryBytes!).toBeGreaterThanOrEqual(190 * MiB);
      expect(last.memory_rss_bytes).toBeNull();
    }
    expect(last.pids_current as number).toBeGreaterThanOrEqual(1);
    expect(run.host).toMatchObject({ cgroup_version: isPureCgroupV2 ? 'v2' : 'v1' });
    expect(run.host!.podman_version).toMatch(/^\d+\.\d+/);
    expect(run.host!.cpu_cores as number).toBeGreaterThan(0);
  });

  it.skipIf(isPureCgroupV2)('reports limits as not enforced when the proc fallback had to be used', async () => {
    const run = await sampledRun({ python: holdMemoryProgram(20, 1), memoryBytes: 256 * MiB, cpus: 1 });
    expect(run.exitCode).toBe(0);
    expect(run.summary.source).toBe('proc');
    expect(run.summary.limitsEnforced).toBe(false);
    expect(run.row).toMatchObject({ limits_enforced: 0, memory_max_read: null, cpu_max_read: null });
    expect(run.logs.join('\n')).toMatch(/sampling the process tree of pid \d+ \(memory cgroup .* is not the container's own\)/);
  });

  it('samples the whole process tree, children included', async () => {
    // A shell-like parent with two children holding 60 MiB each: all three must be counted.
    const python = [
      'import subprocess, sys, time',
      `kids = [subprocess.Popen([sys.executable, "-c", ${JSON.stringify(holdMemoryProgram(60, 2))}]) for _ in range(2)]`,
      'sys.exit(sum(k.wait() for k in kids))',
    ].join('\n');
    const run = await sampledRun({ python, intervalMs: 100 });
    expect(run.exitCode).toBe(0);
    expect(run.summary.peakMemoryBytes!).toBeGreaterThanOrEqual(120 * MiB);
    expect(Math.max(...run.samples.map((s) => s.pids_current as number))).toBeGreaterThanOrEqual(3);
  });
});

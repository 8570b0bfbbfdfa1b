// The sampler against real cgroup v2 limits: rootless podman with delegated controllers enforces --memory and
// --cpus, and the sampler reads them back, sees the peak, the OOM kill and the throttling.
import { describe, expect, it } from 'vitest';
import { holdMemoryProgram, sampledRun, type SampledRun } from '../helpers/sampled-run.js';

const MiB = 2 ** 20;

function report(name: string, run: SampledRun): void {
  const { samples, ...summary } = run.summary as unknown as Record<string, unknown>;
  console.log(`${name}: container ${run.containerMs} ms, exit ${run.exitCode}, stop() ${run.stopMs} ms, ${samples} samples`, JSON.stringify(summary), run.logs.join(' | '));
}

describe('sampler on cgroup v2', () => {
  it('reads the memory limit back and the peak of a container holding 128 MiB under --memory 256m', async () => {
    const run = await sampledRun({ memoryBytes: 256 * MiB, python: holdMemoryProgram(128, 2) });
    report('memory 256m, 128 MiB held', run);
    expect(run.exitCode).toBe(0);
    expect(run.summary).toMatchObject({ source: 'cgroup-v2', limitsEnforced: true });
    expect(run.row).toMatchObject({ sample_source: 'cgroup-v2', memory_max_read: '268435456', limits_enforced: 1 });
    expect(run.summary.peakMemoryBytes!).toBeGreaterThanOrEqual(128 * MiB);
    expect(run.summary.kernelPeakMemoryBytes!).toBeGreaterThanOrEqual(128 * MiB);
    expect(run.summary.kernelPeakMemoryBytes!).toBeLessThanOrEqual(256 * MiB);
    expect(run.summary.oomKillEvents).toBe(0);
    // While the memory is held (the last samples may come after python exited, as the cgroup goes away).
    const holding = run.samples.filter((s) => (s.memory_anon_bytes as number) > 100 * MiB);
    expect(holding.length).toBeGreaterThan(5);
    expect(holding.every((s) => s.psi_memory_some_total_usec !== null && s.pids_current === 1 && s.memory_rss_bytes === null)).toBe(true);
  });

  // Sleep first so the sampler has found the cgroup before the kill (podman is slow in the emulated VM), then
  // grow by 16 MiB steps towards 200 MiB.
  const GROW_TO_200_MIB = 'import time\ntime.sleep(4)\nhold = []\nfor i in range(13):\n    hold.append(b"x" * (16 << 20)); time.sleep(0.05)';

  it('records the OOM kill of a process of a container that exceeds --memory 64m (the container lives on)', async () => {
    // Like an agent whose tool call is killed: the child dies, the container's init reports it and goes on.
    const python = `import subprocess, sys, time\nrc = subprocess.call([sys.executable, "-c", ${JSON.stringify(GROW_TO_200_MIB)}])\nprint("child exit", rc)\ntime.sleep(1)`;
    const run = await sampledRun({ memoryBytes: 64 * MiB, memorySwapBytes: 64 * MiB, python });
    report('memory 64m, child wants 200 MiB', run);
    expect(run.exitCode).toBe(0);
    expect(run.summary.source).toBe('cgroup-v2');
    expect(run.summary.oomKillEvents!).toBeGreaterThanOrEqual(1);
    expect(run.row.oom_kill_events as number).toBeGreaterThanOrEqual(1);
    expect(run.summary.kernelPeakMemoryBytes!).toBeLessThanOrEqual(64 * MiB);
  });

  it('records the OOM kill of the container\'s init process before its cgroup disappears', async () => {
    // The cgroup is removed within ~0.1 s of the kill: only the inotify-driven sample sees oom_kill.
    const run = await sampledRun({ memoryBytes: 64 * MiB, memorySwapBytes: 64 * MiB, python: GROW_TO_200_MIB });
    report('memory 64m, init wants 200 MiB', run);
    expect(run.exitCode).toBe(137);
    expect(run.summary.source).toBe('cgroup-v2');
    expect(run.summary.oomKillEvents!).toBeGreaterThanOrEqual(1);
    expect(run.row.oom_kill_events as number).toBeGreaterThanOrEqual(1);
  });

  it('sees the throttling of a busy loop under --cpus 0.5', async () => {
    const python = 'import time\nt = time.time()\nwhile time.time() - t < 3: pass';
    const run = await sampledRun({ cpus: 0.5, python });
    report('cpus 0.5, 3 s busy loop', run);
    expect(run.exitCode).toBe(0);
    expect(run.row).toMatchObject({ sample_source: 'cgroup-v2', cpu_max_read: '50000 100000', limits_enforced: 1 });
    expect(run.summary.throttledUsec!).toBeGreaterThan(0);
    expect(Math.max(...run.samples.map((s) => s.cpu_nr_throttled as number))).toBeGreaterThan(0);
    // About half a core at most (throttled), well above zero.
    const cores = run.summary.cpuSeconds! / (run.containerMs / 1000);
    expect(cores).toBeLessThan(0.7);
  });
});

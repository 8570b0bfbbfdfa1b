// `agentpod run` end to end on a pure cgroup v2 host (the cgroup2-vm guest): the real agent under enforced
// limits. A tool call that outgrows the limit is OOM-killed: the run is `oom` (exit 3) even though the agent
// itself goes on; so is an agent that cannot even fit.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { startScriptedApi } from '../helpers/mock.js';
import { agentpod, containersOfRun, userTempDir } from '../helpers/user.js';

const MiB = 2 ** 20;

const HUNGRY_TOOL_SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "python3 -c \\"b = bytearray(1024 * 1024 * 1024)\\"", timeout: 300000 } }
  - content:
      - { type: text, text: "The allocation was killed." }
`;

let api: { server: MockApiServer; env: Record<string, string> };
let dataDir: string;

beforeAll(async () => {
  api = await startScriptedApi(HUNGRY_TOOL_SCRIPT);
  dataDir = userTempDir('agentpod-cgroup2-data-');
});

afterAll(async () => {
  await api?.server.close();
});

function runRow(runId: string): Record<string, unknown> {
  const db = new Database(join(dataDir, 'agentpod.db'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

async function run(limits: string[]): Promise<{ exitCode: number | undefined; row: Record<string, unknown>; stderr: string }> {
  const workdir = userTempDir('agentpod-cgroup2-work-');
  const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, ...limits, '--json', 'allocate a gigabyte'], { env: api.env });
  const stderr = String(r.stderr);
  expect(stderr).not.toMatch(/internal error/);
  const outcome = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { runId: string };
  const row = runRow(outcome.runId);
  console.log(`run ${limits.join(' ')}: exit ${r.exitCode}`, JSON.stringify(row));
  return { exitCode: r.exitCode, row, stderr };
}

describe('agentpod run under enforced cgroup v2 limits', () => {
  it('records a run whose tool call allocates past --memory 256m as oom, with v2 samples that match the kernel', async () => {
    const { exitCode, row, stderr } = await run(['--memory', '256m', '--cpus', '1']);
    expect(exitCode, stderr).toBe(3);
    expect(row).toMatchObject({ status: 'oom', sample_source: 'cgroup-v2', limits_enforced: 1, memory_max_read: String(256 * MiB), cpu_max_read: '100000 100000' });
    expect(row.oom_kill_events as number).toBeGreaterThanOrEqual(1);
    // The sampled peak is within 1% of the kernel's own memory.peak (near the limit the sampler reads every few ms).
    const kernelPeak = row.kernel_peak_memory_bytes as number;
    expect(kernelPeak).toBeGreaterThan(200 * MiB);
    expect(kernelPeak).toBeLessThanOrEqual(256 * MiB);
    expect(Math.abs((row.peak_memory_bytes as number) - kernelPeak) / kernelPeak).toBeLessThanOrEqual(0.01);
    expect(await containersOfRun(String(row.id))).toEqual([]);
  });

  it('records an agent that does not fit in --memory 32m as oom, exit code 3, no container left', async () => {
    const { exitCode, row, stderr } = await run(['--memory', '32m']);
    expect(exitCode, stderr).toBe(3);
    expect(row).toMatchObject({ status: 'oom', limits_enforced: 1 });
    expect(await containersOfRun(String(row.id))).toEqual([]);
  });
});

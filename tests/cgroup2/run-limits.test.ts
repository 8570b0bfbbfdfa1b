// `agentpod run` end to end on a pure cgroup v2 host (the cgroup2-vm guest): the real agent under enforced
// limits. A tool call that outgrows the limit is OOM-killed and counted while the agent goes on; an agent that
// cannot even fit is an `oom` run with exit code 3.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { isPureCgroupV2 } from '../helpers/sampled-run.js';
import { startScriptedApi } from '../helpers/mock.js';
import { agentpod, podmanAsTestUser, userTempDir } from '../helpers/user.js';

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

async function run(memory: string): Promise<{ exitCode: number | undefined; row: Record<string, unknown>; stderr: string }> {
  const workdir = userTempDir('agentpod-cgroup2-work-');
  const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--memory', memory, '--json', 'allocate a gigabyte'], { env: api.env });
  const stderr = String(r.stderr);
  expect(stderr).not.toMatch(/internal error/);
  const outcome = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { runId: string };
  const row = runRow(outcome.runId);
  console.log(`run --memory ${memory}: exit ${r.exitCode}`, JSON.stringify(row));
  return { exitCode: r.exitCode, row, stderr };
}

describe.skipIf(!isPureCgroupV2)('agentpod run under enforced cgroup v2 limits', () => {
  it('counts the OOM kill of a tool call that outgrows --memory 512m, reads the limit back, and the agent goes on', async () => {
    const { exitCode, row, stderr } = await run('512m');
    expect(exitCode, stderr).toBe(0);
    expect(row).toMatchObject({ status: 'ok', sample_source: 'cgroup-v2', memory_max_read: String(512 * MiB), limits_enforced: 1 });
    expect(row.oom_kill_events as number).toBeGreaterThanOrEqual(1);
    expect(row.kernel_peak_memory_bytes as number).toBeLessThanOrEqual(512 * MiB);
    expect(row.kernel_peak_memory_bytes as number).toBeGreaterThan(400 * MiB);
  });

  it('records an agent that does not fit in --memory 32m as oom, exit code 3, no container left', async () => {
    const { exitCode, row, stderr } = await run('32m');
    expect(exitCode, stderr).toBe(3);
    expect(row).toMatchObject({ status: 'oom', limits_enforced: 1 });
    const ps = await podmanAsTestUser(['ps', '-a', '-q', '--filter', `label=agentpod.run-id=${row.id}`]);
    expect(ps.exitCode).toBe(0);
    expect(String(ps.stdout).trim()).toBe('');
  });
});

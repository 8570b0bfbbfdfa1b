// A run that ends badly still ends cleanly: after SIGINT, SIGTERM, a SIGKILL of the agent, a timeout or a
// memory-hungry agent there is no container left, the run row is final with the right status, and its
// samples and trace are in the database up to the end.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { startScriptedApi } from '../helpers/mock.js';
import { agentpod, containersOfRun, podmanAsTestUser, userTempDir } from '../helpers/user.js';
import { completeLines, waitFor } from './helpers.js';

/** The agent writes a marker, then sleeps: once the marker is there, the run is in the middle of a tool call. */
const SLEEPY_SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "echo started > started.txt; sleep 60", timeout: 120000 } }
  - content:
      - { type: text, text: "Slept." }
`;

const ALLOC_MIB = 300;
const HUNGRY_SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "python3 -c \\"b = bytearray(${ALLOC_MIB} * 1024 * 1024); import time; time.sleep(2)\\"", timeout: 120000 } }
  - content:
      - { type: text, text: "Allocated." }
`;

type RunRow = Record<string, unknown> & { id: string; status: string; session_id: string; container_name: string; owner_pid: number };

let sleepy: { server: MockApiServer; env: Record<string, string> };
let hungry: { server: MockApiServer; env: Record<string, string> };
let dataDir: string;

beforeAll(async () => {
  sleepy = await startScriptedApi(SLEEPY_SCRIPT);
  hungry = await startScriptedApi(HUNGRY_SCRIPT);
  dataDir = userTempDir('agentpod-faults-data-');
});

afterAll(async () => {
  await sleepy?.server.close();
  await hungry?.server.close();
});

function query<T>(sql: string, ...params: unknown[]): T {
  const db = new Database(join(dataDir, 'agentpod.db'), { readonly: true });
  try {
    return db.prepare(sql).get(...params) as T;
  } finally {
    db.close();
  }
}

/** Starts a run of the sleepy agent and resolves once the agent is inside its tool call. */
async function startSleepyRun(extraArgs: string[] = []) {
  const workdir = userTempDir('agentpod-faults-work-');
  const child = agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--json', ...extraArgs, 'sleep please'], { env: sleepy.env });
  await waitFor('the agent to start its tool call', () => existsSync(join(workdir, 'started.txt')));
  const row = query<RunRow>(`SELECT * FROM runs WHERE workdir = ?`, workdir);
  expect(row?.status).toBe('running');
  expect(await containersOfRun(row.id)).toHaveLength(1);
  return { child, row };
}

/** What every ending must leave: a final row with the expected status and no container. */
async function expectFinalRow(runId: string, status: string): Promise<RunRow> {
  const row = query<RunRow>('SELECT * FROM runs WHERE id = ?', runId);
  expect(row.status).toBe(status);
  expect(row.finished_at).not.toBeNull();
  expect(await containersOfRun(runId)).toEqual([]);
  return row;
}

/** ... and its trace and resource samples in the database, up to the end. */
function expectDataRecorded(row: RunRow): void {
  const tracePath = join(row.run_dir as string, 'trace.jsonl');
  expect(completeLines(tracePath), 'the run left no trace').toBeGreaterThan(0);
  const ingested = query<{ n: number }>('SELECT count(*) AS n FROM messages WHERE session_id = ?', row.session_id).n;
  expect(ingested, 'trace lines in the database vs lines in the trace').toBe(completeLines(tracePath));
  const samples = query<{ n: number }>('SELECT count(*) AS n FROM samples WHERE run_id = ?', row.id).n;
  expect(samples, 'resource samples of the run').toBeGreaterThan(0);
}

describe('a run that is stopped or fails', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to agentpod stops and removes the container; the run is interrupted`, async () => {
      const { child, row } = await startSleepyRun();
      process.kill(row.owner_pid, signal);
      const r = await child;
      expect(r.exitCode, String(r.stderr)).toBe(130);
      const after = await expectFinalRow(row.id, 'interrupted');
      expect(after.signal).toBe(signal);
      expectDataRecorded(after);
    });
  }

  it('SIGKILL of the agent inside the container: the run failed with exit 137', async () => {
    const { child, row } = await startSleepyRun();
    const inspect = await podmanAsTestUser(['inspect', '--format', '{{.State.Pid}}', row.container_name]);
    expect(inspect.exitCode, String(inspect.stderr)).toBe(0);
    const agentPid = Number(String(inspect.stdout).trim());
    expect(agentPid).toBeGreaterThan(1);
    process.kill(agentPid, 'SIGKILL');
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(1);
    const after = await expectFinalRow(row.id, 'failed');
    expect(after.exit_code).toBe(137);
    expectDataRecorded(after);
  });

  it('a run hitting its timeout is stopped and recorded as timeout', async () => {
    const { child, row } = await startSleepyRun(['--timeout', '8s']);
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(4);
    const after = await expectFinalRow(row.id, 'timeout');
    expect(after.timed_out).toBe(1);
    expectDataRecorded(after);
  });

  // Hybrid cgroups ignore rootless limits here, so no kernel OOM kill can happen: what can be checked is that
  // the memory the agent takes is seen by the samples (the proc fallback) and the run still ends cleanly.
  it(`an agent allocating ${ALLOC_MIB} MiB: the samples' peak sees it and the run is recorded`, async () => {
    const workdir = userTempDir('agentpod-faults-work-');
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', workdir, '--json', '--memory', '1g', 'allocate'], { env: hungry.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const outcome = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { runId: string };
    expectDataRecorded(await expectFinalRow(outcome.runId, 'ok'));
    const peak = query<{ peak: number }>('SELECT max(memory_current_bytes) AS peak FROM samples WHERE run_id = ?', outcome.runId).peak;
    expect(peak).toBeGreaterThanOrEqual(ALLOC_MIB * 1024 * 1024);
    expect(query<{ peak: number }>('SELECT peak_memory_bytes AS peak FROM runs WHERE id = ?', outcome.runId).peak).toBe(peak);
  });
});

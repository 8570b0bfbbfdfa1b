// `agentpod batch` for real: a matrix of trials with the real Claude Code CLI against the scripted API,
// resuming, and a clean stop on SIGINT. The tiny images here have no test environment (--no-grade); grading a
// batch is tested on the realistic instance (grading.test.ts).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { fixedImageName } from '../../src/swebench/image-name.js';
import { calcFixScript, calcImageSpec } from '../../src/bench/test-images.js';
import { startScriptedApi } from '../helpers/mock.js';
import { buildTestImage, containersLabeled, containersNamed, removeTestImages } from '../helpers/testbed.js';
import { agentpod, testUser, userTempDir } from '../helpers/user.js';

const FIX_SCRIPT = calcFixScript(true);

/** The same, but each answer takes 2 s: long enough to interrupt a trial in flight. */
const SLOW_SCRIPT = FIX_SCRIPT.replace(/- content:/g, '- delay_ms: 2000\n    content:');

const suffix = randomBytes(3).toString('hex');
const WITH_ISSUE = `localhost/agentpod-test-${suffix}/batch-issue:1`;
const NO_ISSUE = `localhost/agentpod-test-${suffix}/batch-record:1`;

let fastApi: { server: MockApiServer; env: Record<string, string> };
let slowApi: { server: MockApiServer; env: Record<string, string> };
let tasksFile: string;

function tempFile(name: string, content: string): string {
  const file = join(userTempDir('agentpod-batch-'), name);
  writeFileSync(file, content);
  chmodSync(file, 0o644);
  return file;
}

const openDb = (dataDir: string) => new Database(join(dataDir, 'agentpod.db'), { readonly: true });
type TrialRow = { instance_id: string; profile: string; trial_index: number; status: string; patch_files: number | null };
const trialRows = (dataDir: string, batchId: string) =>
  openDb(dataDir).prepare('SELECT instance_id, profile, trial_index, status, patch_files, owner_pid FROM runs WHERE batch_id = ? ORDER BY started_at').all(batchId) as (TrialRow & { owner_pid: number })[];

beforeAll(async () => {
  fastApi = await startScriptedApi(FIX_SCRIPT);
  slowApi = await startScriptedApi(SLOW_SCRIPT);
  await buildTestImage(calcImageSpec(WITH_ISSUE, true));
  await buildTestImage(calcImageSpec(NO_ISSUE, false));
  // One instance reads its problem statement from /issue.md, the other from its record (SWE-rebench style).
  tasksFile = tempFile(
    'tasks.jsonl',
    [
      { instance_id: 'calc__issue-1', image_name: WITH_ISSUE, FAIL_TO_PASS: '["check.py"]' },
      { instance_id: 'calc__record-2', docker_image: NO_ISSUE, problem_statement: 'calc.add(2, 3) returns -1', install_config: { test_cmd: 'python3 check.py' } },
    ]
      .map((t) => JSON.stringify(t))
      .join('\n'),
  );
});

afterAll(async () => {
  await fastApi?.server.close();
  await slowApi?.server.close();
  const sources = [WITH_ISSUE, NO_ISSUE];
  await removeTestImages([...sources.map((s) => fixedImageName(s, testUser.uid, testUser.gid)), ...sources]);
});

describe('agentpod batch', () => {
  it('runs 2 instances × 2 profiles × 2 repeats, 2 at a time, and a rerun runs nothing new', async () => {
    const dataDir = userTempDir('agentpod-batch-data-');
    const args = ['batch', '--data-dir', dataDir, '--tasks', tasksFile, '--profiles', 'small,default', '--repeat', '2', '--parallel', '2', '--no-grade', '--json'];
    const r = await agentpod(args, { env: fastApi.env });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const summary = JSON.parse(String(r.stdout).trim());
    expect(summary).toMatchObject({ status: 'done', total: 8, skipped: 0, counts: { ok: 8, error: 0 } });
    // Each image is fixed once for the whole batch.
    expect(String(r.stderr).match(/permission fix: chown/g)).toHaveLength(2);
    // Not a terminal: plain lines, one per trial.
    expect(String(r.stderr).match(/^\[\d\/8\] calc__\w+-\d × (small|default) #[01]: ok in /gm)).toHaveLength(8);
    expect(r.stderr).not.toContain('\x1b[');

    const rows = trialRows(dataDir, summary.batchId);
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map((t) => `${t.instance_id}/${t.profile}/${t.trial_index}`)).size).toBe(8);
    expect(rows.every((t) => t.status === 'ok' && t.patch_files === 1)).toBe(true);
    const batch = openDb(dataDir).prepare('SELECT * FROM batches WHERE id = ?').get(summary.batchId);
    expect(batch).toMatchObject({ status: 'done', repeat: 2, parallel: 2, profiles: '["small","default"]', tasks_file: tasksFile });

    const again = await agentpod(args, { env: fastApi.env });
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(JSON.parse(String(again.stdout).trim())).toMatchObject({ batchId: summary.batchId, status: 'done', skipped: 8, counts: { ok: 0 } });
    expect(again.stderr).toContain('8 finished earlier, 0 to run');
    expect(trialRows(dataDir, summary.batchId)).toHaveLength(8);
  });

  it('stops cleanly on SIGINT (no container left, finished trials kept) and the rerun finishes the rest', async () => {
    const dataDir = userTempDir('agentpod-batch-int-');
    const args = ['batch', '--data-dir', dataDir, '--tasks', tasksFile, '--profiles', 'small', '--repeat', '2', '--parallel', '1', '--name', `int-${suffix}`, '--no-grade', '--json'];
    const child = agentpod(args, { env: slowApi.env });
    // Wait for one finished trial and a second one in flight.
    let pid: number | undefined;
    for (let i = 0; i < 240 && pid === undefined; i++) {
      await new Promise((r) => setTimeout(r, 250));
      // The file appears a moment before its tables do.
      if (!existsSync(join(dataDir, 'agentpod.db')) || !openDb(dataDir).prepare(`SELECT 1 FROM sqlite_master WHERE name = 'runs'`).get()) continue;
      const rows = trialRows(dataDir, `int-${suffix}`);
      const running = openDb(dataDir).prepare(`SELECT owner_pid FROM runs WHERE status = 'running'`).get() as { owner_pid: number } | undefined;
      if (rows.some((t) => t.status === 'ok') && running && (await containersLabeled(`agentpod.batch-id=int-${suffix}`)).length > 0) pid = running.owner_pid;
    }
    expect(pid, 'no trial finished while another ran').toBeDefined();
    process.kill(pid!, 'SIGINT');
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    expect(JSON.parse(String(r.stdout).trim())).toMatchObject({ status: 'interrupted' });
    expect(await containersLabeled(`agentpod.batch-id=int-${suffix}`)).toEqual([]);
    expect(await containersNamed('agentpod-fix-batch-')).toEqual([]);
    const rows = trialRows(dataDir, `int-${suffix}`);
    const finished = rows.filter((t) => t.status === 'ok').length;
    expect(finished).toBeGreaterThanOrEqual(1);
    expect(rows.filter((t) => t.status === 'interrupted')).toHaveLength(1);
    expect(openDb(dataDir).prepare('SELECT status FROM batches WHERE id = ?').get(`int-${suffix}`)).toEqual({ status: 'interrupted' });

    const rest = await agentpod(args, { env: fastApi.env });
    expect(rest.exitCode, String(rest.stderr)).toBe(0);
    expect(rest.stderr).toContain(`${finished} finished earlier, ${4 - finished} to run (1 interrupted before, run again)`);
    const all = trialRows(dataDir, `int-${suffix}`);
    expect(all.filter((t) => t.status === 'ok')).toHaveLength(4);
    expect(openDb(dataDir).prepare('SELECT status FROM batches WHERE id = ?').get(`int-${suffix}`)).toEqual({ status: 'done' });
  });

  it('--parallel auto never lets the trials together exceed the memory budget (checked from the samples)', async () => {
    const dataDir = userTempDir('agentpod-batch-auto-');
    const oneTask = tempFile('one.jsonl', JSON.stringify({ instance_id: 'calc__issue-1', image_name: WITH_ISSUE }));
    const common = ['batch', '--data-dir', dataDir, '--tasks', oneTask, '--profiles', 'small', '--no-grade', '--json'];
    // Known peaks first: two trials, one at a time.
    const known = await agentpod([...common, '--repeat', '2', '--parallel', '1', '--name', `known-${suffix}`], { env: fastApi.env });
    expect(known.exitCode, String(known.stderr)).toBe(0);
    const db = openDb(dataDir);
    const maxPeak = (db.prepare('SELECT MAX(peak_memory_bytes) AS peak FROM runs WHERE batch_id = ?').get(`known-${suffix}`) as { peak: number }).peak;
    // Room for two trials predicted from that history (largest peak + 10%), not for three.
    const budget = Math.floor(2.5 * 1.1 * maxPeak);
    const r = await agentpod([...common, '--repeat', '4', '--parallel', 'auto', '--memory-budget', String(budget), '--name', `auto-${suffix}`], { env: fastApi.env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/waits: predicted .* \(\d earlier trials \+ 10%\), .* free \(2 running\)/);
    const summary = JSON.parse(String(r.stdout).trim());
    expect(summary).toMatchObject({ status: 'done', counts: { ok: 4 }, memory: { budgetBytes: budget, maxRunning: 2 } });

    // From the samples: each trial holds its last sampled memory until its next sample, none after its end.
    const runs = db.prepare('SELECT id, started_at, finished_at FROM runs WHERE batch_id = ?').all(`auto-${suffix}`) as { id: string; started_at: number; finished_at: number }[];
    const points = [
      ...(db.prepare('SELECT run_id, t_ms, memory_current_bytes AS bytes FROM samples WHERE run_id IN (SELECT id FROM runs WHERE batch_id = ?)').all(`auto-${suffix}`) as { run_id: string; t_ms: number; bytes: number }[]),
      ...runs.map((run) => ({ run_id: run.id, t_ms: run.finished_at, bytes: 0 })),
    ].sort((a, b) => a.t_ms - b.t_ms);
    const now = new Map<string, number>();
    let peakSum = 0;
    for (const p of points) {
      now.set(p.run_id, p.bytes);
      peakSum = Math.max(peakSum, [...now.values()].reduce((a, b) => a + b, 0));
    }
    console.log(`parallel auto: budget ${budget}, peak of the sum ${peakSum} (largest known peak ${maxPeak}), summary ${JSON.stringify(summary.memory)}`);
    expect(peakSum).toBeGreaterThan(maxPeak); // two ran at once...
    expect(peakSum).toBeLessThanOrEqual(budget); // ...and together stayed within the budget
    expect(summary.memory.peakSumBytes).toBe(peakSum);
  }, 300_000);
});

// Resource control on a pure cgroup v2 host (the cgroup2-vm guest), with the real agent: memory-high below a
// tool's allocation throttles it without an OOM kill, and `agentpod limits` lowering --memory below what the
// agent uses mid-run makes the run `oom`, with the change in limit_events and on the report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockApiServer } from '../../src/mockapi/server.js';
import { startScriptedApi } from '../helpers/mock.js';
import { agentpod, cliPath, containersOfRun, userTempDir } from '../helpers/user.js';

const MiB = 2 ** 20;

// Reads the container's own memory.high and memory.current (cgroup namespace: /sys/fs/cgroup is the
// container's cgroup) and allocates 1 MiB at a time until it is 8 MiB above memory.high, at most 512 MiB.
const OVER_HIGH = [
  'import time',
  'read = lambda f: open("/sys/fs/cgroup/" + f).read().strip()',
  'high = int(read("memory.high"))',
  'hold = []',
  'while int(read("memory.current")) < high + (8 << 20) and len(hold) < 512:',
  '    hold.append(b"x" * (1 << 20))',
  'time.sleep(1)',
  'print("held", len(hold), "MiB; memory.events:", read("memory.events").replace(chr(10), " "))',
].join('\n');

const scriptWith = (command: string) => `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: ${JSON.stringify(command)}, timeout: 600000 } }
  - content:
      - { type: text, text: "Done." }
`;

let throttleApi: { server: MockApiServer; env: Record<string, string> };
let sleepApi: { server: MockApiServer; env: Record<string, string> };
beforeAll(async () => {
  throttleApi = await startScriptedApi(scriptWith(`python3 -c ${JSON.stringify(OVER_HIGH)}`));
  sleepApi = await startScriptedApi(scriptWith('sleep 240'));
});
afterAll(async () => {
  await throttleApi?.server.close();
  await sleepApi?.server.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const openDb = (dataDir: string) => new Database(join(dataDir, 'agentpod.db'), { readonly: true });

describe('resource control under cgroup v2', () => {
  it('memory-high below a Bash allocation throttles it (high events, PSI stall time) without an OOM kill', async () => {
    const dataDir = userTempDir('agentpod-cgroup2-control-');
    const r = await agentpod(['run', '--data-dir', dataDir, '--workdir', userTempDir(), '--memory', '1g', '--memory-high', '320m', '--json', 'go over memory.high'], { env: throttleApi.env });
    const stderr = String(r.stderr);
    console.log('memory-high run:', stderr.split('\n').filter((l) => l.includes('memory.high')).join(' | '));
    expect(r.exitCode, stderr).toBe(0);
    const { runId } = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as { runId: string };
    const db = openDb(dataDir);
    try {
      const run = db.prepare('SELECT status, oom_kill_events, sample_source FROM runs WHERE id = ?').get(runId);
      expect(run).toEqual({ status: 'ok', oom_kill_events: 0, sample_source: 'cgroup-v2' });
      const controls = db.prepare('SELECT * FROM run_controls WHERE run_id = ?').get(runId) as Record<string, number>;
      console.log('run_controls', JSON.stringify(controls));
      expect(controls.memory_high_bytes).toBe(320 * MiB);
      expect(controls.memory_high_events).toBeGreaterThan(0);
      expect(controls.memory_stall_some_usec).toBeGreaterThan(0);
      const start = db.prepare("SELECT requested, read_back, confirmed FROM limit_events WHERE run_id = ? AND origin = 'start' AND key = 'memory-high'").get(runId);
      expect(start).toEqual({ requested: String(320 * MiB), read_back: String(320 * MiB), confirmed: 1 });
    } finally {
      db.close();
    }
    expect(stderr).toMatch(/memory\.high 320 MiB: \d+ high events, throttled/);
  });

  it('agentpod limits lowering --memory below the agent mid-run makes the run oom, recorded and drawn', async () => {
    const dataDir = userTempDir('agentpod-cgroup2-limits-');
    const run = agentpod(['run', '--data-dir', dataDir, '--workdir', userTempDir(), '--memory', '1g', '--json', 'sleep a while'], { env: sleepApi.env });
    // Wait until the agent runs its Bash call (the trace is ingested while the run goes on).
    let runId: string | undefined;
    for (let waited = 0; !runId && waited < 240_000; waited += 1000) {
      await sleep(1000);
      try {
        const db = openDb(dataDir);
        try {
          runId = (db.prepare(`SELECT r.id FROM runs r JOIN tool_calls c ON c.session_id = r.session_id WHERE r.status = 'running' AND c.tool_name = 'Bash' AND c.end_ms IS NULL`).get() as { id: string } | undefined)?.id;
        } finally {
          db.close();
        }
      } catch {
        /* the database is not there yet */
      }
    }
    expect(runId, 'the run never reached its Bash call').toBeDefined();
    const limits = await agentpod(['limits', runId!, '--data-dir', dataDir, '--memory', '64m', '--json']);
    console.log('agentpod limits:', limits.exitCode, String(limits.stdout), String(limits.stderr));
    const r = await run;
    expect(r.exitCode, String(r.stderr)).toBe(3);
    const db = openDb(dataDir);
    try {
      expect(db.prepare('SELECT status FROM runs WHERE id = ?').get(runId)).toEqual({ status: 'oom' });
      const events = db.prepare("SELECT key, requested FROM limit_events WHERE run_id = ? AND origin = 'command' ORDER BY id").all(runId);
      expect(events).toEqual([
        { key: 'memory', requested: String(64 * MiB) },
        { key: 'memory-swap', requested: String(64 * MiB) },
      ]);
    } finally {
      db.close();
    }
    const report = await execa(process.execPath, [cliPath, 'report', runId!, '--data-dir', dataDir, '-o', join(dataDir, 'report.html')], { reject: false });
    expect(report.exitCode, String(report.stderr)).toBe(0);
    expect(readFileSync(join(dataDir, 'report.html'), 'utf8')).toContain('agentpod limits: memory 64.0 MiB');
    expect(await containersOfRun(runId!)).toEqual([]);
  });
});

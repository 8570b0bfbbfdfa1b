// Resource control on a pure cgroup v2 host (the cgroup2-vm guest), with the real agent: memory-high below a
// tool's allocation throttles it without an OOM kill, and `agentpod limits` lowering --memory below what the
// agent uses mid-run makes the run `oom`, with the change in limit_events and on the report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { scriptedApiForFile } from '../helpers/mock.js';
import { agentpod, cliPath, containersOfRun, userTempDir } from '../helpers/user.js';

const MiB = 2 ** 20;

// Allocates 1 MiB at a time up to 512 MiB, for at most 30 s (above memory.high every allocation waits: that is
// the throttling). With the agent's own ~200 MB that is well past --memory-high 448m and below --memory 1g. It
// cannot read its cgroup's files: with --network=host podman bind-mounts the host's /sys.
const OVER_HIGH = [
  'import time',
  'hold = []',
  'start = time.time()',
  'while len(hold) < 512 and time.time() - start < 30:',
  '    hold.append(b"x" * (1 << 20))',
  'time.sleep(1)',
  'print("held", len(hold), "MiB after", round(time.time() - start, 1), "s")',
].join('\n');
// Given to bash in single quotes (the program has none): its newlines reach python as newlines.

// One run, two steps (the agent takes minutes to start in the emulated VM): a tool call over memory.high,
// then a long one during which the test lowers --memory below what the agent uses.
const SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: ${JSON.stringify(`python3 -c '${OVER_HIGH}'`)}, timeout: 600000 } }
  - content:
      - { type: tool_use, name: Bash, input: { command: "sleep 600", timeout: 600000 } }
  - content:
      - { type: text, text: "Done." }
`;

const api = scriptedApiForFile(SCRIPT);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const openDb = (dataDir: string) => new Database(join(dataDir, 'agentpod.db'), { readonly: true });

/** Polls the run's database until `query` returns a row (the database may not exist yet). */
async function waitFor<T>(dataDir: string, query: string, timeoutMs: number): Promise<T | undefined> {
  for (let waited = 0; waited < timeoutMs; waited += 1000) {
    try {
      const db = openDb(dataDir);
      try {
        const row = db.prepare(query).get() as T | undefined;
        if (row) return row;
      } finally {
        db.close();
      }
    } catch {
      /* not there yet */
    }
    await sleep(1000);
  }
  return undefined;
}

/** What the run's first tool call printed, from the agent's live trace (what the allocation saw, when it fails). */
function firstToolOutput(db: Database.Database, runId: string): string {
  const { session_id: sessionId, workdir } = db.prepare('SELECT session_id, workdir FROM runs WHERE id = ?').get(runId) as { session_id: string; workdir: string };
  const file = db.prepare("SELECT path FROM ingest_files WHERE path LIKE ? ORDER BY id LIMIT 1").get(`%${sessionId}.jsonl`) as { path: string } | undefined;
  if (!file) return `(no trace of session ${sessionId} in ${workdir})`;
  const line = readFileSync(file.path, 'utf8').split('\n').find((l) => l.includes('"tool_result"'));
  return line ? JSON.stringify(JSON.parse(line).message.content[0].content).slice(0, 800) : '(no tool result yet)';
}

describe('resource control under cgroup v2', () => {
  it('memory-high throttles a tool without an OOM kill; agentpod limits lowering --memory below the agent then makes the run oom', async () => {
    const dataDir = userTempDir('agentpod-cgroup2-control-');
    const run = agentpod(['run', '--data-dir', dataDir, '--workdir', userTempDir(), '--memory', '1g', '--memory-high', '448m', '--json', 'over memory.high, then wait'], { env: api.env });
    // The second Bash call runs: the first, over memory.high, is over.
    const waiting = await waitFor<{ id: string }>(dataDir, `SELECT r.id FROM runs r JOIN tool_calls c ON c.session_id = r.session_id WHERE r.status = 'running' AND c.command = 'sleep 600' AND c.end_ms IS NULL`, 1_200_000);
    expect(waiting, 'the run never reached its second Bash call').toBeDefined();
    const runId = waiting!.id;
    const db = openDb(dataDir);
    try {
      const before = db.prepare('SELECT MAX(memory_events_high) AS high, MAX(psi_memory_some_total_usec) AS stall, MAX(memory_events_oom_kill) AS kills, MIN(source) AS source FROM samples WHERE run_id = ?').get(runId);
      console.log('after the allocation over memory.high:', JSON.stringify(before));
      console.log('the allocation printed:', firstToolOutput(db, runId));
      expect(before).toMatchObject({ kills: 0, source: 'cgroup-v2' });
      expect((before as { high: number }).high).toBeGreaterThan(0);
      expect((before as { stall: number }).stall).toBeGreaterThan(0);
      expect(db.prepare("SELECT requested, read_back, confirmed FROM limit_events WHERE run_id = ? AND origin = 'start' AND key = 'memory-high'").get(runId)).toEqual({ requested: String(448 * MiB), read_back: String(448 * MiB), confirmed: 1 });
    } finally {
      db.close();
    }

    const limits = await agentpod(['limits', runId, '--data-dir', dataDir, '--memory', '64m', '--json']);
    console.log('agentpod limits:', limits.exitCode, String(limits.stdout), String(limits.stderr));
    const r = await run;
    const stderr = String(r.stderr);
    console.log('run:', r.exitCode, stderr.split('\n').filter((l) => /memory\.high|oom|OOM/.test(l)).join(' | '));
    expect(r.exitCode, stderr).toBe(3);
    const after = openDb(dataDir);
    try {
      expect(after.prepare('SELECT status FROM runs WHERE id = ?').get(runId)).toEqual({ status: 'oom' });
      expect(after.prepare("SELECT key, requested FROM limit_events WHERE run_id = ? AND origin = 'command' ORDER BY id").all(runId)).toEqual([
        { key: 'memory', requested: String(64 * MiB) },
        { key: 'memory-swap', requested: String(64 * MiB) },
      ]);
      const controls = after.prepare('SELECT memory_high_bytes, memory_high_events, memory_stall_some_usec FROM run_controls WHERE run_id = ?').get(runId) as Record<string, number>;
      expect(controls.memory_high_bytes).toBe(448 * MiB);
      expect(controls.memory_high_events).toBeGreaterThan(0);
    } finally {
      after.close();
    }
    expect(stderr).toMatch(/memory\.high 448 MiB: \d+ high events, throttled/);
    const report = await execa(process.execPath, [cliPath, 'report', runId, '--data-dir', dataDir, '-o', join(dataDir, 'report.html')], { reject: false });
    expect(report.exitCode, String(report.stderr)).toBe(0);
    expect(readFileSync(join(dataDir, 'report.html'), 'utf8')).toContain('agentpod limits: memory 64.0 MiB');
    expect(await containersOfRun(runId)).toEqual([]);
  }, 1_500_000);
});

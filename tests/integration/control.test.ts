// Soft limits, a schedule and `agentpod limits` with the real agent on a host where the container has no cgroup
// of its own (this project's hybrid-cgroup hosts): nothing can be applied, and the run says so — a warning
// line and recorded events — never silently. (On cgroup v2 they take effect: tests/cgroup2/control.test.ts.)
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isPureCgroupV2 } from '../helpers/sampled-run.js';
import { scriptedApiForFile } from '../helpers/mock.js';
import { agentpod, userTempDir } from '../helpers/user.js';

const SCRIPT = `
turns:
  - content:
      - { type: tool_use, name: Bash, input: { command: "sleep 8" } }
  - content:
      - { type: text, text: "Done." }
`;

const api = scriptedApiForFile(SCRIPT);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(isPureCgroupV2)('resource control where the container has no cgroup of its own', () => {
  it('warns about soft limits, records the schedule and agentpod limits as not applied (exit 1; 2 once the run ended)', async () => {
    const dataDir = userTempDir('agentpod-control-data-');
    const profile = join(userTempDir('agentpod-control-profile-'), 'soft.yaml');
    writeFileSync(profile, 'memory: 2g\nmemory-high: 1500m\ncpu-weight: 50\nschedule:\n  - { after: 1s, cpus: 0.5 }\n');
    chmodSync(profile, 0o644);
    const run = agentpod(['run', '--data-dir', dataDir, '--workdir', userTempDir(), '--profile', profile, '--json', 'sleep'], { env: api.env });
    let runId: string | undefined;
    for (let i = 0; i < 240 && !runId; i++) {
      await sleep(250);
      try {
        const db = new Database(join(dataDir, 'agentpod.db'), { readonly: true });
        try {
          runId = (db.prepare("SELECT r.id FROM runs r JOIN tool_calls c ON c.session_id = r.session_id WHERE r.status = 'running' AND c.end_ms IS NULL").get() as { id: string } | undefined)?.id;
        } finally {
          db.close();
        }
      } catch {
        /* not there yet */
      }
    }
    expect(runId, 'the run never reached its Bash call').toBeDefined();
    const limits = await agentpod(['limits', runId!, '--data-dir', dataDir, '--memory', '1g']);
    expect(limits.exitCode, String(limits.stderr)).toBe(1);
    expect(String(limits.stdout)).toMatch(/^memory 1\.0 GiB: NOT applied; not applied: the container has no cgroup of its own/m);

    const r = await run;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const stderr = String(r.stderr);
    expect(stderr).toMatch(/warning: memory-high 1\.5 GiB: NOT applied; not applied: the container has no cgroup of its own/);
    expect(stderr).toMatch(/warning: cpu-weight 50: NOT applied/);
    expect(stderr).toMatch(/schedule after 1\.0s: cpus 0\.5: NOT applied/);
    expect(stderr).toMatch(/memory\.high 1\.5 GiB: no memory\.events \(no cgroup v2 of its own\): throttling unknown/);

    const db = new Database(join(dataDir, 'agentpod.db'), { readonly: true });
    try {
      const events = db.prepare('SELECT origin, key, confirmed FROM limit_events WHERE run_id = ? ORDER BY id').all(runId) as { origin: string; key: string; confirmed: number }[];
      expect(events.map((e) => `${e.origin} ${e.key}`)).toEqual([
        'start memory',
        'start memory-swap',
        'start memory-high',
        'start cpu-weight',
        'schedule cpus',
        'command memory',
        'command memory-swap',
      ]);
      expect(events.every((e) => e.confirmed === 0)).toBe(true);
      expect(db.prepare('SELECT memory_high_bytes, cpu_weight, memory_high_events FROM run_controls WHERE run_id = ?').get(runId)).toEqual({ memory_high_bytes: 1500 * 2 ** 20, cpu_weight: 50, memory_high_events: null });
    } finally {
      db.close();
    }

    // Once it ended: bad input.
    const done = await agentpod(['limits', runId!, '--data-dir', dataDir, '--memory', '1g']);
    expect(done.exitCode).toBe(2);
    expect(String(done.stderr)).toMatch(/^agentpod: run \S+ is not running \(status ok\)/);
    const none = await agentpod(['limits', runId!, '--data-dir', dataDir]);
    expect(none.exitCode).toBe(2);
    expect(String(none.stderr)).toMatch(/name a limit to change/);
  });
});

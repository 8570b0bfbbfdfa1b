// The README's first command, as the rootless user: `agentpod demo` end to end (the realistic instance image,
// permission fix, the real agent against the built-in script, patch, verdict, samples, trace, report).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadInstance } from '../../src/instances/instance.js';
import { agentpod, testUser, userTempDir } from '../helpers/user.js';

describe('agentpod demo', () => {
  it('fixes the instance\'s bug with the real agent and records run, patch, samples, trace and report', async () => {
    const instance = loadInstance();
    const dataDir = userTempDir('agentpod-demo-data-');
    // Only the demo's own variables: no endpoint or key from the outside may steer it.
    const r = await agentpod(['demo', '--data-dir', dataDir], { env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', ANTHROPIC_API_KEY: 'not-used' } });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/^-        yield prev\[:prev\.index\(no_pad\)\]$/m);
    expect(String(r.stdout)).toMatch(/^\+            yield prev\[:len\(seq\) % n\]$/m);
    // Graded as the harness grades it, in a fresh container of the instance's own image.
    expect(String(r.stdout)).toMatch(new RegExp(`^verdict: resolved \\(FULL: FAIL_TO_PASS ${instance.failToPass.length}/${instance.failToPass.length}, PASS_TO_PASS ${instance.passToPass.length}/${instance.passToPass.length} pass\\)$`, 'm'));

    const db = new Database(join(dataDir, 'agentpod.db'), { readonly: true });
    try {
      const run = db.prepare('SELECT * FROM runs').get() as Record<string, string | number>;
      expect(run.status).toBe('ok');
      expect(run.patch_files).toBe(1);
      // The scripted agent makes upstream's fix: the captured patch is the instance's gold patch, byte for byte.
      expect(readFileSync(join(String(run.run_dir), 'patch.diff'), 'utf8')).toBe(instance.patches.gold);
      expect(run).toMatchObject({ instance_id: instance.instanceId, source_image: instance.image, base_commit: instance.baseCommit, test_env: '/opt/miniconda3/envs/testbed' });
      const trace = join(testUser.home, '.claude', 'projects', '-testbed', `${run.session_id}.jsonl`);
      expect(existsSync(trace)).toBe(true);
      expect(run.sample_count as number).toBeGreaterThan(0);
      // The last Bash call partitions a large iterator, holding ~120 MB for a second: its samples must show it.
      const calls = db.prepare('SELECT tool_name, command FROM tool_calls WHERE session_id = ? ORDER BY start_ms').all(run.session_id);
      expect(calls.map((c) => (c as { tool_name: string }).tool_name)).toEqual(['Bash', 'Read', 'Edit', 'Bash']);
      expect(existsSync(join(String(run.run_dir), 'report.html'))).toBe(true);
      expect(run).toMatchObject({ eval_status: 'resolved', resolution: 'FULL' });
      expect(readFileSync(join(String(run.run_dir), 'report.html'), 'utf8')).toContain('<strong>resolved</strong>');

      const q = await agentpod(['query', 'tool-resources', '--data-dir', dataDir, '--run', String(run.id), '--json']);
      expect(q.exitCode, String(q.stderr)).toBe(0);
      const perCall = JSON.parse(String(q.stdout)) as { tool: string; peak_memory_bytes: number | null; memory_delta_bytes: number | null }[];
      expect(perCall).toHaveLength(4);
      for (const call of perCall) expect(call.peak_memory_bytes).toBeGreaterThan(0);
      expect(perCall[3].memory_delta_bytes).toBeGreaterThan(80e6);
    } finally {
      db.close();
    }
  });
});

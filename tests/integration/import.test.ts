// The built CLI: `agentpod import agentcgroup` on the fixtures (not a terminal: plain lines, one closing line),
// then `query characterize` and `report --batch --characterize` on what it imported.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../helpers/user.js';

const FIXTURES = join(repoRoot, 'tests', 'fixtures', 'agentcgroup');
let dir: string;
let db: string;
const cli = (args: string[]) => execa(process.execPath, [cliPath, ...args, '--db', db], { reject: false, env: { AGENTPOD_DATA_DIR: join(dir, 'data') } });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentpod-import-it-'));
  db = join(dir, 'agentpod.db');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agentpod import agentcgroup', () => {
  it('imports, says what it could not use in one closing line, and exits 1 for it', async () => {
    const r = await cli(['import', 'agentcgroup', join(FIXTURES, 'set_a'), join(FIXTURES, 'set_b')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      `set_a: 5 attempts in ${join(FIXTURES, 'set_a')}, 5 imported`,
      `set_b: 1 attempts in ${join(FIXTURES, 'set_b')}, 1 imported`,
    ]);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^imported 6 run\(s\) \(1 failed start\(s\)\) of 6 attempt\(s\) in 2 data set\(s\) \[set_a, set_b\]: 100 samples, 4 trace\(s\) ingested/);
    expect(lines[0]).toContain('self-check: 3/4 summaries reproduced; 1 mismatch(es) (set_a/owner__repo-4/attempt_1: memory_mb.max 999 published, 311 from the samples)');
    expect(lines[0]).toContain('1 missing file(s) (set_a/owner__repo-2/attempt_2/trace.jsonl)');
    expect(lines[0]).toContain('2 malformed file(s) (set_a/owner__repo-3/attempt_1/resources.json: invalid JSON');
  });

  it('adds nothing the second time, and exits 0', async () => {
    const r = await cli(['import', 'agentcgroup', join(FIXTURES, 'set_a'), join(FIXTURES, 'set_b'), '--json']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ attempts: 6, imported: 0, alreadyImported: 6, samples: 0, malformed: [], missing: [] });
  });

  it('refuses bad input with one line and exit 2', async () => {
    const two = await cli(['import', 'agentcgroup', join(FIXTURES, 'set_a'), join(FIXTURES, 'set_b'), '--batch', 'x']);
    expect(two.exitCode).toBe(2);
    expect(two.stderr).toBe('agentpod: --batch names the batch of one data set folder; give one DIR with it');
    const none = await cli(['import', 'agentcgroup', join(dir, 'nothing-here')]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toBe(`agentpod: cannot read ${join(dir, 'nothing-here')}: no such folder`);
  });

  it('answers query characterize on the imported batch, as one JSON object', async () => {
    const r = await cli(['query', 'characterize', '--batch', 'set_a', '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ runs_selected: 5, tasks: 4, valid_tasks: 3, retry_max_consecutive: 4 });
    const table = await cli(['query', 'characterize', '--run', 'set_a:owner__repo-1:1', '--explain']);
    expect(table.stdout).toMatch(/^p95_mem_spike_mb\s+test_execution\s+1010\s+per study Bash category/m);
    const refused = await cli(['query', 'runs', '--all-runs']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe('agentpod: --all-runs is an option of query characterize only, not of runs');
  });

  it('writes the batch report with the characterization pictures, and imported runs\' reports outside their folders', async () => {
    const out = join(dir, 'set_a.html');
    const r = await cli(['report', '--batch', 'set_a', '--characterize', '-o', out]);
    expect(r.exitCode).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('class="chart band-chart"');
    const run = await cli(['report', 'set_a:owner__repo-1:1']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toBe(join(dir, 'data', 'reports', 'run-set_a_owner__repo-1_1.html'));
    expect(existsSync(join(FIXTURES, 'set_a', 'owner__repo-1', 'attempt_1', 'report.html'))).toBe(false);
    // no cumulative CPU counter in imported samples: the CPU line is podman's figure
    expect(readFileSync(run.stdout.trim(), 'utf8')).toMatch(/class="series series-cpu" d="M[\d.]+,[\d.]+L/);
  });
});

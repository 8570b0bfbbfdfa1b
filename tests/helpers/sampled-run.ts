// Runs a host-sharing container with the built sampler attached (tests/integration/sampler-child.mjs) as the
// test user, and hands back the sampler's summary, the run row and the stored samples.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BASE_IMAGE } from '../../src/podman/image.js';
import { chooseRuntime } from '../../src/run/resolve.js';
import { SYSTEM_PATHS_RO } from '../../src/launch-spec.js';
import type { SamplerSummary } from '../../src/sampler/index.js';
import { repoRoot, runAsTestUser, userTempDir } from './user.js';

/** Pure cgroup v2 (what real users have); false on v1 and hybrid hosts such as the CI machine. */
export const isPureCgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

export interface SampledRunRequest {
  /** Passed to podman (--memory) and recorded as the run's requested limit. */
  memoryBytes?: number;
  /** Passed as --memory-swap; defaults to memoryBytes (no swap). */
  memorySwapBytes?: number;
  cpus?: number;
  intervalMs?: number;
  /** The python3 program the container runs. */
  python: string;
}

export interface SampledRun {
  summary: SamplerSummary;
  exitCode: number;
  containerMs: number;
  stopMs: number;
  logs: string[];
  row: Record<string, unknown>;
  samples: Record<string, number | string | null>[];
  host: Record<string, unknown> | undefined;
}

export async function sampledRun(req: SampledRunRequest): Promise<SampledRun> {
  const dataDir = userTempDir('agentpod-sampler-');
  const dbPath = join(dataDir, 'agentpod.db');
  const runId = randomUUID();
  const runtime = chooseRuntime();
  const limits = [
    ...(req.memoryBytes ? ['--memory', `${req.memoryBytes}b`, '--memory-swap', `${req.memorySwapBytes ?? req.memoryBytes}b`] : []),
    ...(req.cpus ? ['--cpus', String(req.cpus)] : []),
  ];
  const mounts = SYSTEM_PATHS_RO.filter((p) => existsSync(p)).flatMap((p) => ['-v', `${p}:${p}:ro`]);
  const child = await runAsTestUser(process.execPath, [
    join(repoRoot, 'tests', 'integration', 'sampler-child.mjs'),
    dbPath, runId, `agentpod-sampler-test-${runId.slice(0, 8)}`,
    req.memoryBytes ? String(req.memoryBytes) : '-', req.cpus ? String(req.cpus) : '-', String(req.intervalMs ?? 100),
    '--',
    '--userns=keep-id', '--network=host', ...(runtime ? ['--runtime', runtime] : []), ...limits, ...mounts,
    BASE_IMAGE, 'python3', '-c', req.python, // the child imports it when missing; host sharing brings the rest
  ]);
  if (child.exitCode !== 0) throw new Error(`sampler-child failed (${child.exitCode}): ${String(child.stderr)}`);
  const out = JSON.parse(String(child.stdout).trim().split('\n').pop()!);
  const db = new Database(dbPath, { readonly: true });
  try {
    return {
      ...out,
      row: db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as Record<string, unknown>,
      samples: db.prepare('SELECT * FROM samples WHERE run_id = ? ORDER BY t_ms').all(runId) as SampledRun['samples'],
      host: db.prepare('SELECT * FROM host_snapshots WHERE run_id = ?').get(runId) as Record<string, unknown> | undefined,
    };
  } finally {
    db.close();
  }
}

/** A python3 program that holds `mib` MiB (every page written) for `holdSeconds`, then exits 0. */
export function holdMemoryProgram(mib: number, holdSeconds: number): string {
  return `import time\nb = b"x" * (${mib} << 20)\ntime.sleep(${holdSeconds})\nprint(len(b))`;
}

// The single-node Slurm cluster of scripts/slurm-cluster.sh, as the Slurm integration tests see it. In CI
// (CI=true) a cluster that is not up is a failure; elsewhere the tests are skipped with a message saying how
// to bring it up.
import { execa } from 'execa';

export interface ClusterCheck {
  up: boolean;
  why: string;
}

export async function checkCluster(): Promise<ClusterCheck> {
  const r = await execa('sinfo', ['-h', '-o', '%T'], { reject: false });
  if ((r as { code?: string }).code === 'ENOENT') return { up: false, why: 'sinfo not found (Slurm is not installed)' };
  if (r.exitCode !== 0) return { up: false, why: `sinfo failed: ${String(r.stderr).trim()}` };
  const states = String(r.stdout).trim().split('\n');
  if (!states.some((s) => /^(idle|mixed|allocated)/.test(s))) return { up: false, why: `no node is up (sinfo: ${states.join(', ')})` };
  return { up: true, why: '' };
}

export const UP_HINT = 'bring the test cluster up with `scripts/slurm-cluster.sh up` (root; .ci/run does it)';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Job ids (array job ids for arrays) still known to squeue, of any user. */
export async function queuedJobs(): Promise<Set<string>> {
  const r = await execa('squeue', ['-h', '-r', '-o', '%F'], { reject: false });
  return new Set(String(r.stdout).split('\n').map((l) => l.trim()).filter(Boolean));
}

/** Every job's id, state and reason, for a test's failure message. */
async function queueSummary(): Promise<string> {
  const r = await execa('squeue', ['-h', '-r', '-o', '%i %T %r'], { reject: false });
  return String(r.stdout).trim().split('\n').join('; ') || '(empty)';
}

/** Waits until none of these jobs is pending or running. */
export async function waitForJobs(ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const queued = await queuedJobs();
    const left = ids.filter((id) => queued.has(id));
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`jobs ${left.join(', ')} still queued after ${timeoutMs / 1000} s; the queue: ${await queueSummary()}`);
    await sleep(1000);
  }
}

/** Running tasks of an array: "arrayJobId_taskId" of each. */
export async function runningTasks(arrayJobId: string): Promise<string[]> {
  const r = await execa('squeue', ['-h', '-r', '-j', arrayJobId, '-t', 'RUNNING', '-o', '%F_%K'], { reject: false });
  return String(r.stdout).split('\n').map((l) => l.trim()).filter(Boolean);
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the queue: ${await queueSummary()}`);
    await sleep(500);
  }
}

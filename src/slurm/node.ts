// Node-local helpers of an array task: a lock shared by the tasks of one user on one node, and the memory
// peak of agentpod's own step (what the runner allowance has to cover).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { isAgentpodAlive } from '../run/sweep.js';
import { parseProcCgroup } from '../sampler/parse.js';
import { slurmStepOf } from '../sampler/slurm-step.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The peak memory of agentpod's own step so far (what the runner allowance has to cover), or null outside a step. */
export function runnerStepPeakBytes(cgroupRoot = '/sys/fs/cgroup'): number | null {
  try {
    const membership = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8')) ?? [];
    const v1 = slurmStepOf(membership.find((m) => m.controllers.includes('memory'))?.path);
    const v2 = slurmStepOf(membership.find((m) => m.controllers.length === 0)?.path);
    const file = v1 ? join(cgroupRoot, 'memory', v1, 'memory.max_usage_in_bytes') : v2 ? join(cgroupRoot, v2, 'memory.peak') : null;
    return file ? Number(readFileSync(file, 'utf8').trim()) : null;
  } catch {
    return null;
  }
}

/**
 * Runs fn while holding a node-wide lock (a directory holding the owner's pid): concurrent tasks on one node fix
 * an image once, and the others find the fixed image in the node's storage. A dead owner's lock is taken over.
 */
export async function withNodeLock<T>(nodeDir: string, name: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const lock = join(nodeDir, 'locks', `${createHash('sha256').update(name).digest('hex').slice(0, 16)}.lock`);
  mkdirSync(join(nodeDir, 'locks'), { recursive: true, mode: 0o700 });
  for (;;) {
    if (signal.aborted) throw new UserError(`interrupted while waiting for another task's permission fix of ${name}`, 130);
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pidFile = join(lock, 'pid');
      const owner = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : NaN;
      // A lock without its pid yet is being taken right now, unless it is old.
      const stale = Number.isInteger(owner) ? !isAgentpodAlive(owner) : Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 10_000;
      if (stale) rmSync(lock, { recursive: true, force: true });
      else await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

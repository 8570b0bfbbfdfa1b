// `agentpod batch cancel ID`: scancel of the batch's arrays. Slurm sends TERM to every process of each running
// task; agentpod traps it, stops and removes its container, records the trial as interrupted and publishes its
// shard (within KillWait, before Slurm's KILL). Pending tasks never start. Then the results are collected, so the
// database has the interrupted trials at once (the merge job, which still runs after the arrays, adds nothing).
import type { Db } from '../db/open.js';
import { UserError } from '../errors.js';
import { arrayJobIds, collectBatch, type Collection } from './collect.js';
import { readSubmissions } from './manifest.js';
import { clusterConfig, liveTasks, slurmTool } from './query.js';

export interface CancelResult {
  arrays: string[];
  running: number;
  pending: number;
  /** Tasks still listed by squeue when agentpod stopped waiting. */
  left: number;
  collection: Collection;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function cancelBatch(db: Db, batchDir: string, log: (line: string) => void): Promise<CancelResult> {
  const submissions = readSubmissions(batchDir);
  if (submissions.length === 0) throw new UserError(`${batchDir} holds no Slurm submission of this batch (was it submitted with --slurm?)`, 2);
  const arrays = arrayJobIds(submissions);
  const live = await liveTasks(arrays);
  const running = live.filter((t) => t.state !== 'PENDING').length;
  const pending = live.length - running;
  if (live.length) {
    const r = await slurmTool('scancel', [...new Set(live.map((t) => t.arrayJobId))]);
    if (r.exitCode !== 0) throw new UserError(`scancel failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    log(`cancelled ${running} running and ${pending} pending task(s) of array(s) ${[...new Set(live.map((t) => t.arrayJobId))].join(', ')}`);
  } else log('no task of the batch is pending or running');
  // Running tasks take a moment to stop their containers; Slurm kills what is left after KillWait.
  const { killWaitSeconds } = await clusterConfig();
  const deadline = Date.now() + ((killWaitSeconds ?? 30) + 30) * 1000;
  let left = live.length;
  while (left > 0 && Date.now() < deadline) {
    await sleep(1000);
    left = (await liveTasks(arrays)).length;
  }
  if (left) log(`${left} task(s) still listed by squeue; \`agentpod merge --batch-dir ${batchDir}\` records them once they end`);
  return { arrays, running, pending, left, collection: await collectBatch(db, batchDir) };
}

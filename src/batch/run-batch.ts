// One pass over a batch: the trials still to run, `parallel` at a time. Each image is fixed once per pass;
// a trial that fails (even before its launch) is counted and the batch goes on; an abort stops launching,
// lets executeRun stop and remove the running containers, and ends the pass as interrupted.
import type { Db } from '../db/open.js';
import type { Profile } from '../profiles.js';
import type { PromptTemplate } from '../swebench/prompt.js';
import type { SwebenchTask } from '../swebench/task.js';
import { taskImage, type TrialLaunch } from '../swebench/trial.js';
import { executeTrial, fixCache, type TrialContext } from './execute-trial.js';
import { trialLabel, type TrialKey } from './matrix.js';
import { historyPredictor, runWithinBudget } from './memory-parallel.js';
import type { BatchProgress } from './progress.js';
import { endBatch, type BatchStatus } from './state.js';

export interface BatchPass {
  db: Db;
  dataDir: string;
  batchId: string;
  tasks: SwebenchTask[];
  profiles: Profile[];
  toRun: TrialKey[];
  /** Trials at once, or 'auto': as many as the memory budget allows (memory-parallel.ts). */
  parallel: number | 'auto';
  /** With parallel 'auto'. */
  memoryBudgetBytes?: number;
  template: PromptTemplate;
  launch: TrialLaunch;
  uid: number;
  gid: number;
  signal: AbortSignal;
  progress: BatchProgress;
}

export async function runBatchPass(pass: BatchPass): Promise<Exclude<BatchStatus, 'running'>> {
  const { progress, signal } = pass;
  const log = (line: string) => progress.log(line);
  const taskById = new Map(pass.tasks.map((t) => [t.instanceId, t]));
  const profileByName = new Map(pass.profiles.map((p) => [p.name, p]));
  const imageOf = new Map<string, string>();
  for (const id of new Set(pass.toRun.map((t) => t.instanceId))) imageOf.set(id, taskImage(taskById.get(id)!, log));
  const ctx: TrialContext = { db: pass.db, dataDir: pass.dataDir, batchId: pass.batchId, template: pass.template, launch: pass.launch, uid: pass.uid, gid: pass.gid, signal, log };
  const fix = fixCache(ctx);

  const runOne = async (key: TrialKey) => {
    const label = trialLabel(key);
    progress.started(label);
    try {
      const outcome = await executeTrial(ctx, {
        key,
        task: taskById.get(key.instanceId)!,
        image: imageOf.get(key.instanceId)!,
        profile: profileByName.get(key.profile)!,
        fix,
        log: (line) => log(`${label}: ${line}`),
      });
      const patch = outcome.patch ? `, patch ${outcome.patch.bytes} B in ${outcome.patch.files} file(s)` : '';
      const error = outcome.error ? `; ${outcome.error}` : '';
      progress.ended(label, outcome.status, `in ${(outcome.durationMs / 1000).toFixed(1)} s (run ${outcome.runId}${patch})${error}`);
    } catch (e) {
      progress.ended(label, signal.aborted ? 'interrupted' : 'error', (e as Error).message);
    }
  };

  const queue = [...pass.toRun];
  const worker = async () => {
    for (let key = queue.shift(); key && !signal.aborted; key = queue.shift()) await runOne(key);
  };
  if (pass.parallel === 'auto') {
    const budgetBytes = pass.memoryBudgetBytes!;
    const predict = historyPredictor(pass.db, pass.profiles, budgetBytes);
    await runWithinBudget(queue, runOne, { budgetBytes, predict, signal, onWait: (reason) => progress.waiting(reason), onNote: log });
  } else await Promise.all(Array.from({ length: Math.min(pass.parallel, queue.length) }, worker));

  const status = signal.aborted ? 'interrupted' : progress.state.counts.error > 0 ? 'incomplete' : 'done';
  endBatch(pass.db, pass.batchId, status);
  return status;
}

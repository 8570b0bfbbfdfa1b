// The local engine: the trials still to run, `parallel` at a time, in this process, each graded after its run,
// and the finished trials of earlier passes still without a verdict graded. Each image is fixed once per pass;
// a trial that fails (even before its launch) is counted and the batch goes on; an abort stops launching, lets
// executeRun and the grading stop and remove the running containers, and ends the pass as interrupted.
import { executeTrial, fixCache, gradeTrial, type ExecutedTrial, type TrialContext } from '../batch/execute-trial.js';
import { trialLabel, type ExistingTrial, type TrialKey } from '../batch/matrix.js';
import { BatchProgress } from '../batch/progress.js';
import { endBatch } from '../batch/state.js';
import { taskImage } from '../swebench/trial.js';
import type { BatchEngine, BatchPass, LocalPassOutcome } from './engine.js';

const verdictText = (t: Pick<ExecutedTrial, 'evaluation' | 'gradingError'>) =>
  t.evaluation ? `; ${t.evaluation.status}${t.evaluation.resolution ? ` (${t.evaluation.resolution})` : ''}` : t.gradingError ? `; ${t.gradingError}` : '';

export interface LocalOptions {
  /** Trials running at once. */
  parallel: number;
  /** Where progress goes (stderr in the CLI). */
  out: NodeJS.WriteStream;
}

export class LocalEngine implements BatchEngine {
  readonly name = 'local';

  constructor(private readonly options: LocalOptions) {}

  /** Nothing runs outside this process: what an earlier pass left is in the database already. */
  async catchUp(): Promise<TrialKey[]> {
    return [];
  }

  async run(pass: BatchPass): Promise<LocalPassOutcome> {
    const { signal } = pass;
    const progress = new BatchProgress(this.options.out, { batchId: pass.batch.id, total: pass.matrix.length, skipped: pass.finished, parallel: this.options.parallel });
    const log = (line: string) => progress.log(line);
    const taskById = new Map(pass.tasks.map((t) => [t.instanceId, t]));
    const profileByName = new Map(pass.profiles.map((p) => [p.name, p]));
    const imageOf = new Map<string, string>();
    for (const id of new Set(pass.toRun.map((t) => t.instanceId))) imageOf.set(id, taskImage(taskById.get(id)!, log));
    const ctx: TrialContext = { db: pass.db, dataDir: pass.dataDir, template: pass.template, launch: pass.launch, grading: pass.grading, uid: pass.uid, gid: pass.gid, signal, log };
    const fix = fixCache(ctx);

    const runOne = async (key: TrialKey) => {
      const label = trialLabel(key);
      progress.started(label);
      try {
        const outcome = await executeTrial(ctx, {
          task: taskById.get(key.instanceId)!,
          image: imageOf.get(key.instanceId)!,
          profile: profileByName.get(key.profile)!,
          fix,
          batch: { id: pass.batch.id, trialIndex: key.trialIndex },
          grading: pass.gradingPlans.get(key.instanceId) ?? null,
          log: (line) => log(`${label}: ${line}`),
        });
        const patch = outcome.patch ? `, patch ${outcome.patch.bytes} B in ${outcome.patch.files} file(s)` : '';
        const error = outcome.error ? `; ${outcome.error}` : '';
        if (outcome.evaluation) progress.graded(outcome.evaluation.status);
        progress.ended(label, outcome.status, `in ${(outcome.durationMs / 1000).toFixed(1)} s (run ${outcome.runId}${patch})${verdictText(outcome)}${error}`);
      } catch (e) {
        progress.ended(label, signal.aborted ? 'interrupted' : 'error', (e as Error).message);
      }
    };

    const gradeOne = async (trial: ExistingTrial) => {
      const label = `${trialLabel(trial)} (run ${trial.runId}, finished earlier)`;
      const graded = await gradeTrial(ctx, trial.runId, pass.gradingPlans.get(trial.instanceId) ?? null, (line) => log(`${label}: ${line}`));
      if (graded.evaluation) progress.graded(graded.evaluation.status);
      if (!signal.aborted) log(`${label}: graded${verdictText(graded)}`);
    };

    // The worker pool: each worker takes the next job (a grading left over, then a trial) until none is left or
    // the pass is aborted.
    const queue: (() => Promise<void>)[] = [...pass.toGrade.map((t) => () => gradeOne(t)), ...pass.toRun.map((k) => () => runOne(k))];
    const worker = async () => {
      for (let job = queue.shift(); job && !signal.aborted; job = queue.shift()) await job();
    };
    await Promise.all(Array.from({ length: Math.min(this.options.parallel, queue.length) }, worker));

    progress.close();
    const status = signal.aborted ? 'interrupted' : progress.state.counts.error > 0 ? 'incomplete' : 'done';
    endBatch(pass.db, pass.batch.id, status);
    return { engine: 'local', status, counts: progress.state.counts, verdicts: progress.state.verdicts };
  }
}

// One trial, whatever engine runs it (in this process, or as a Slurm array task) and whether it belongs to a
// batch or stands alone (`agentpod swebench`): the image fixed (once per image and process), the prompt
// prepared, the agent run with its patch captured — then, beside the trial, its grading.
import type { Db } from '../db/open.js';
import { gradeRun, type GradingOptions, type GradingPlan } from '../grading/grade-run.js';
import type { EvaluationRow } from '../grading/store.js';
import type { Profile } from '../profiles.js';
import type { LaunchSpec } from '../launch-spec.js';
import { fixImage, type FixResult } from '../swebench/fix.js';
import type { PromptTemplate } from '../swebench/prompt.js';
import type { SwebenchTask } from '../swebench/task.js';
import { prepareTrial, runTrial, trialSpec, type PreparedTrial, type TrialLaunch, type TrialOutcome } from '../swebench/trial.js';

export interface TrialContext {
  db: Db;
  dataDir: string;
  template: PromptTemplate;
  launch: TrialLaunch;
  /** null: --no-grade. */
  grading: GradingOptions | null;
  uid: number;
  gid: number;
  signal: AbortSignal;
  log: (line: string) => void;
  /** The command podman's client runs under, per trial (the Slurm engine: a step with the profile's limits). */
  clientPrefix?: (spec: LaunchSpec) => string[];
}

/** One permission fix per image for the whole batch pass; a failed fix fails its trials, without retrying. */
export function fixCache(ctx: Pick<TrialContext, 'uid' | 'gid' | 'signal' | 'log'>): (image: string) => Promise<FixResult> {
  const fixes = new Map<string, Promise<FixResult>>();
  return (image) => {
    let fix = fixes.get(image);
    if (!fix) {
      fix = fixImage(image, { uid: ctx.uid, gid: ctx.gid, log: ctx.log, signal: ctx.signal });
      fix.catch(() => {});
      fixes.set(image, fix);
    }
    return fix;
  };
}

export interface TrialInput {
  task: SwebenchTask | null;
  image: string;
  profile: Profile;
  fix: (image: string) => Promise<FixResult>;
  batch?: { id: string; trialIndex: number };
  /** What grading the trial needs (checked before anything ran); null when it cannot be graded (no record). */
  grading: GradingPlan | null;
  /** Log lines of this trial (an engine prefixes them with the trial's label). */
  log: (line: string) => void;
  /** Called once the trial is prepared, before its launch (the command prints where the problem came from). */
  onPrepared?: (trial: PreparedTrial) => void;
}

export interface ExecutedTrial extends TrialOutcome {
  /** The fixed image the trial ran on. */
  fix: FixResult;
  /** The grading's row; null when not graded (--no-grade, no record, interrupted, or the grading failed). */
  evaluation: EvaluationRow | null;
  /** Why grading failed to produce a row, when it did. */
  gradingError: string | null;
}

export async function executeTrial(ctx: TrialContext, input: TrialInput): Promise<ExecutedTrial> {
  const fix = await input.fix(input.image);
  const trial = await prepareTrial({ task: input.task, fix, template: ctx.template, dataDir: ctx.dataDir, log: input.log });
  input.onPrepared?.(trial);
  const base = trialSpec(trial, input.profile, ctx.launch, input.batch?.id);
  const spec = ctx.clientPrefix ? { ...base, clientPrefix: ctx.clientPrefix(base) } : base;
  const outcome = await runTrial({
    db: ctx.db,
    dataDir: ctx.dataDir,
    trial,
    spec,
    sampleIntervalMs: ctx.launch.sampleIntervalMs,
    processSampleEvery: ctx.launch.processSampleEvery,
    batch: input.batch,
    signal: ctx.signal,
    log: input.log,
  });
  const graded = outcome.status === 'interrupted' ? { evaluation: null, gradingError: null } : await gradeTrial(ctx, outcome.runId, input.grading, input.log);
  return { ...outcome, fix, ...graded };
}

/** Grades a finished run when grading is on and possible; a grading that fails is said, never fatal to the trial. */
export async function gradeTrial(ctx: Pick<TrialContext, 'db' | 'grading' | 'signal'>, runId: string, plan: GradingPlan | null, log: (line: string) => void): Promise<Pick<ExecutedTrial, 'evaluation' | 'gradingError'>> {
  if (!ctx.grading || !plan || ctx.signal.aborted) return { evaluation: null, gradingError: null };
  try {
    return { evaluation: await gradeRun({ db: ctx.db, runId, plan, options: ctx.grading, signal: ctx.signal, log }), gradingError: null };
  } catch (e) {
    const message = `grading failed: ${(e as Error).message}`;
    log(message);
    return { evaluation: null, gradingError: message };
  }
}

// A batch engine runs the trials of one pass somewhere: in this process (local) or as Slurm array tasks
// (slurm). Both run each trial through the same executor (batch/execute-trial.ts), so a trial, its rows and
// the resume rules are the same whichever engine ran it; factory.ts picks one from the command line.
import type { Db } from '../db/open.js';
import type { ExistingTrial, TrialKey } from '../batch/matrix.js';
import type { GradingOptions, GradingPlan } from '../grading/grade-run.js';
import type { BatchSpec } from '../batch/state.js';
import type { TrialEnd } from '../batch/progress.js';
import type { Profile } from '../profiles.js';
import type { PromptTemplate } from '../swebench/prompt.js';
import type { SwebenchTask } from '../swebench/task.js';
import type { TrialLaunch } from '../swebench/trial.js';

export type EngineName = 'local' | 'slurm';

/** One pass over a batch: what the command resolved, the same for every engine. */
export interface BatchPass {
  db: Db;
  dataDir: string;
  dbPath: string;
  batch: BatchSpec;
  tasks: SwebenchTask[];
  profiles: Profile[];
  /** The whole matrix, in its order. */
  matrix: TrialKey[];
  /** The trials without a result that this pass runs. */
  toRun: TrialKey[];
  /** Trials finished in earlier passes. */
  finished: number;
  /** Finished trials of earlier passes without a verdict (graded in this pass when grading is on). */
  toGrade: ExistingTrial[];
  template: PromptTemplate;
  launch: TrialLaunch;
  /** null: --no-grade. */
  grading: GradingOptions | null;
  /** Per instance: what its grading needs, checked before the pass (empty when grading is off). */
  gradingPlans: Map<string, GradingPlan>;
  uid: number;
  gid: number;
  signal: AbortSignal;
}

export interface LocalPassOutcome {
  engine: 'local';
  status: 'done' | 'incomplete' | 'interrupted';
  counts: Record<TrialEnd, number>;
  /** Gradings this pass made, by status. */
  verdicts: Record<string, number>;
}

export interface SubmittedArray {
  profile: string;
  jobId: string;
  /** Slurm's index list of the array, with its throttle. */
  array: string;
  tasks: number;
}

export interface SlurmPassOutcome {
  engine: 'slurm';
  /** dry-run: nothing was submitted; the commands and scripts are what would have been. */
  status: 'submitted' | 'dry-run' | 'nothing-to-submit';
  batchDir: string;
  submission: number | null;
  arrays: SubmittedArray[];
  mergeJobId: string | null;
  /** The sbatch command lines, and the scripts by file name. */
  commands: string[][];
  scripts: Record<string, string>;
}

export type PassOutcome = LocalPassOutcome | SlurmPassOutcome;

export interface BatchEngine {
  readonly name: EngineName;
  /**
   * Before planning a pass: gather results the engine holds that the database does not have yet (Slurm: published
   * shards, tasks that died), and return the trials still running from an earlier pass, which this pass leaves alone.
   */
  catchUp(db: Db, batchId: string): Promise<TrialKey[]>;
  run(pass: BatchPass): Promise<PassOutcome>;
}

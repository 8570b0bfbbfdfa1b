// Grading options shared by swebench, batch and grade: on by default, with the evaluation profile's limits.
import type { Argv } from 'yargs';
import type { GradingOptions } from '../grading/grade-run.js';
import type { EvaluationRow } from '../grading/store.js';

export interface GradingArgs {
  grade: boolean;
  'eval-profile': string;
  'test-cmd'?: string;
  'log-parser'?: string;
}

export const DEFAULT_EVAL_PROFILE = 'eval';

/** --eval-profile, --test-cmd, --log-parser: how to grade. */
export function withEvalOptions<T>(y: Argv<T>) {
  return y
    .option('eval-profile', { type: 'string', default: DEFAULT_EVAL_PROFILE, describe: 'limits of the grading container (profile name or YAML; default: no memory limit, 30 min, as the harness)' })
    .option('test-cmd', { type: 'string', describe: 'test command to grade with, instead of the record\'s eval_script / install_config.test_cmd' })
    .option('log-parser', { type: 'string', describe: 'log parser instead of the record\'s (e.g. parse_log_pytest)' });
}

/** The eval options and --no-grade, for the commands that run trials. */
export function withGradingOptions<T>(y: Argv<T>) {
  return withEvalOptions(y).option('grade', { type: 'boolean', default: true, describe: 'grade each trial after its run (--no-grade: skip)' });
}

/** The grading settings, or null with --no-grade. */
export async function gradingOptionsFrom(args: GradingArgs, sampleIntervalMs: number): Promise<GradingOptions | null> {
  if (!args.grade) return null;
  const { loadProfile } = await import('../profiles.js');
  return { evalProfile: loadProfile(args['eval-profile']), testCmd: args['test-cmd'], logParser: args['log-parser'], sampleIntervalMs };
}

/** One line for a run's verdict: its status and, in words, what decided it. */
export function verdictLine(e: Pick<EvaluationRow, 'status' | 'message'>): string {
  return `verdict: ${e.status} (${e.message})`;
}

/** A trial outcome's verdict as printed lines: the verdict, why there is none, or nothing when it was not graded. */
export function verdictLines(o: { evaluation?: Pick<EvaluationRow, 'status' | 'message'> | null; gradingError?: string | null }): string {
  if (o.evaluation) return `${verdictLine(o.evaluation)}\n`;
  return o.gradingError ? `verdict: none (${o.gradingError})\n` : '';
}

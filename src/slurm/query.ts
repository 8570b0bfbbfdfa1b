// Asking Slurm about a batch's tasks: squeue for the live ones; for ended ones sacct where accounting is on,
// else `scontrol show job` (until MinJobAge after their end) and the jobcomp/filetxt log when it is readable.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { parseJobcomp, parseSacct, parseScontrolConfig, parseScontrolJobs, parseSqueue, SACCT_FIELDS, SQUEUE_FORMAT, type TaskRecord } from './parse.js';
import { taskPhase } from './states.js';

export interface ClusterConfig {
  name: string | null;
  /** Array task ids must be below this. */
  maxArraySize: number;
  /** sacct works (an accounting storage other than none). */
  accounting: boolean;
  /** The jobcomp/filetxt log, when the cluster writes one. */
  jobCompLog: string | null;
  killWaitSeconds: number | null;
  minJobAgeSeconds: number | null;
  proctrack: string | null;
  taskPlugin: string | null;
  version: string | null;
}

/** Runs a Slurm client; a missing one is a one-line error naming it. */
export async function slurmTool(tool: string, args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa(tool, args, { reject: false, stdin: 'ignore' });
  if ((r as { code?: string }).code === 'ENOENT') throw new UserError(`${tool} not found: agentpod's Slurm engine needs Slurm's client tools on PATH (is this a login node of the cluster?)`);
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? r.message ?? '') };
}

async function mustRun(tool: string, args: string[]): Promise<string> {
  const r = await slurmTool(tool, args);
  if (r.exitCode !== 0) throw new UserError(`${tool} ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-2).join(' | ') || 'no output'}`);
  return r.stdout;
}

const seconds = (v: string | undefined) => {
  const m = /^(\d+)/.exec(v ?? '');
  return m ? Number(m[1]) : null;
};

export function clusterConfigFrom(config: Map<string, string>): ClusterConfig {
  const jobComp = config.get('JobCompType') ?? '';
  return {
    name: config.get('ClusterName') ?? null,
    maxArraySize: Number(config.get('MaxArraySize') ?? 1001),
    accounting: (config.get('AccountingStorageType') ?? 'accounting_storage/none') !== 'accounting_storage/none',
    jobCompLog: jobComp === 'jobcomp/filetxt' ? (config.get('JobCompLoc') ?? null) : null,
    killWaitSeconds: seconds(config.get('KillWait')),
    minJobAgeSeconds: seconds(config.get('MinJobAge')),
    proctrack: config.get('ProctrackType') ?? null,
    taskPlugin: config.get('TaskPlugin') ?? null,
    version: config.get('SLURM_VERSION') ?? null,
  };
}

export async function clusterConfig(): Promise<ClusterConfig> {
  return clusterConfigFrom(parseScontrolConfig(await mustRun('scontrol', ['show', 'config'])));
}

/** The user's pending and running tasks of these arrays (one line per task: -r). */
export async function liveTasks(arrayJobIds: string[]): Promise<TaskRecord[]> {
  if (arrayJobIds.length === 0) return [];
  const ids = new Set(arrayJobIds);
  return parseSqueue(await mustRun('squeue', ['-h', '-r', '--me', '-o', SQUEUE_FORMAT])).filter((t) => ids.has(t.arrayJobId));
}

const taskKey = (t: Pick<TaskRecord, 'arrayJobId' | 'taskId'>) => `${t.arrayJobId}_${t.taskId ?? ''}`;

/** One record per task, the best source first (sacct, then scontrol, then jobcomp); the latest restart wins within one. */
export function combineRecords(...sources: TaskRecord[][]): Map<string, TaskRecord> {
  const out = new Map<string, TaskRecord>();
  for (const source of sources) {
    const here = new Map<string, TaskRecord>();
    for (const r of source) {
      const seen = here.get(taskKey(r));
      if (!seen || (r.endedAt ?? 0) >= (seen.endedAt ?? 0)) here.set(taskKey(r), r);
    }
    for (const [k, r] of here) if (!out.has(k)) out.set(k, r);
  }
  return out;
}

/**
 * Ended tasks of these arrays as Slurm remembers them, keyed "arrayJobId_taskId". What it no longer remembers
 * (no accounting, past MinJobAge, no readable jobcomp log) is simply absent.
 */
export async function endedTasks(arrayJobIds: string[], config: ClusterConfig): Promise<Map<string, TaskRecord>> {
  if (arrayJobIds.length === 0) return new Map();
  const ids = new Set(arrayJobIds);
  const mine = (records: TaskRecord[]) => records.filter((r) => ids.has(r.arrayJobId) && r.taskId !== null && taskPhase(r.state) === 'ended');
  let sacct: TaskRecord[] = [];
  if (config.accounting) {
    const r = await slurmTool('sacct', ['-X', '-n', '-P', '-j', arrayJobIds.join(','), '-o', SACCT_FIELDS.join(',')]);
    if (r.exitCode === 0) sacct = mine(parseSacct(r.stdout));
  }
  const scontrol: TaskRecord[] = [];
  for (const id of arrayJobIds) {
    // Exit 1 with "Invalid job id specified" once the controller has forgotten the array.
    const r = await slurmTool('scontrol', ['-o', 'show', 'job', id]);
    if (r.exitCode === 0) scontrol.push(...mine(parseScontrolJobs(r.stdout)));
  }
  let jobcomp: TaskRecord[] = [];
  if (config.jobCompLog) {
    try {
      jobcomp = mine(parseJobcomp(readFileSync(config.jobCompLog, 'utf8')));
    } catch {
      /* not readable by this user: the other sources are all there is */
    }
  }
  return combineRecords(sacct, scontrol, jobcomp);
}

export { taskKey };

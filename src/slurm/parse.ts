// Pure parsers of what Slurm's tools print (squeue, scontrol, sacct, the jobcomp/filetxt log, sbatch --parsable),
// tested on outputs recorded from real runs (tests/fixtures/slurm). Each gives one TaskRecord per array task.

/** One array task (or a plain job) as one of Slurm's tools reports it. */
export interface TaskRecord {
  /** The task's own job id (SLURM_JOB_ID). */
  jobId: string;
  /** The array's job id (SLURM_ARRAY_JOB_ID); = jobId for a job that is not an array task. */
  arrayJobId: string;
  /** null for a job that is not an array task. */
  taskId: number | null;
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, ... */
  state: string;
  reason: string | null;
  /** "code:signal" as Slurm reports it, or null when the tool does not say. */
  exitCode: string | null;
  startedAt: number | null;
  endedAt: number | null;
  node: string | null;
  restarts: number | null;
  /** Which tool said so. */
  from: 'squeue' | 'scontrol' | 'sacct' | 'jobcomp';
}

/** The format agentpod asks squeue for (one line per array task with -r). */
export const SQUEUE_FORMAT = '%A|%F|%K|%T|%r|%S|%N';

/** Slurm prints times in the cluster's local time, without a zone: "2026-12-01T21:38:21". */
export function parseSlurmTime(text: string | undefined): number | null {
  if (!text || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(text)) return null;
  const ms = new Date(text).getTime();
  return Number.isFinite(ms) ? ms : null;
}

const orNull = (v: string | undefined) => (v === undefined || v === '' || v === '(null)' || v === 'None' || v === 'N/A' ? null : v);

function taskIdOf(v: string | undefined): number | null {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}

/** `squeue -h -r --me -o SQUEUE_FORMAT`. */
export function parseSqueue(text: string): TaskRecord[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [jobId, arrayJobId, taskId, state, reason, start, node] = line.split('|');
      return {
        jobId,
        arrayJobId: orNull(arrayJobId) ?? jobId,
        taskId: taskIdOf(taskId),
        state,
        reason: orNull(reason),
        exitCode: null,
        startedAt: state === 'PENDING' ? null : parseSlurmTime(start),
        endedAt: null,
        node: orNull(node),
        restarts: null,
        from: 'squeue' as const,
      };
    });
}

/**
 * "Key=Value Key=Value ..." (scontrol -o show job, one line per job; jobcomp/filetxt lines). Keys may hold
 * ':' and '/' (AllocNode:Sid, CPUs/Task); a value runs up to the next " Key=".
 */
export function parseKeyValueLine(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const keys = [...line.matchAll(/(?:^|\s)([A-Za-z][\w:/]*)=/g)];
  keys.forEach((m, i) => {
    const start = m.index! + m[0].length;
    const end = i + 1 < keys.length ? keys[i + 1].index! : line.length;
    out.set(m[1], line.slice(start, end).trim());
  });
  return out;
}

function fromKeyValues(kv: Map<string, string>, from: 'scontrol' | 'jobcomp'): TaskRecord | null {
  const jobId = kv.get('JobId');
  const state = kv.get('JobState');
  if (!jobId || !state) return null;
  const restarts = kv.get('Restarts');
  return {
    jobId,
    arrayJobId: orNull(kv.get('ArrayJobId')) ?? jobId,
    taskId: taskIdOf(kv.get('ArrayTaskId')),
    state,
    reason: orNull(kv.get('Reason')),
    exitCode: orNull(kv.get('ExitCode')),
    startedAt: parseSlurmTime(kv.get('StartTime')),
    endedAt: parseSlurmTime(kv.get('EndTime')),
    node: orNull(kv.get('NodeList')),
    restarts: restarts !== undefined && /^\d+$/.test(restarts) ? Number(restarts) : null,
    from,
  };
}

const records = (text: string, from: 'scontrol' | 'jobcomp') =>
  text
    .split('\n')
    .filter((l) => l.includes('JobId='))
    .map((l) => fromKeyValues(parseKeyValueLine(l), from))
    .filter((r): r is TaskRecord => r !== null);

/** `scontrol -o show job ID`: every task of an array still in the controller's memory (MinJobAge after its end). */
export const parseScontrolJobs = (text: string) => records(text, 'scontrol');

/**
 * The jobcomp/filetxt log (JobCompLoc): one line per finished job. Its ExitCode is the batch script's, and
 * a cancelled task shows 0:0 there; the state is what counts.
 */
export const parseJobcomp = (text: string) => records(text, 'jobcomp');

/** The fields agentpod asks sacct for, in this order. */
export const SACCT_FIELDS = ['JobIDRaw', 'JobID', 'State', 'ExitCode', 'Start', 'End', 'NodeList'] as const;

/**
 * `sacct -X -n -P -j IDS -o SACCT_FIELDS`: JobID is "array_task" ("42_3"), or "42_[4-6%2]" for tasks not
 * started; State may read "CANCELLED by 1005". (22.05's sacct has no restart count.)
 */
export function parseSacct(text: string): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [jobIdRaw, jobId, stateField, exitCode, start, end, node] = line.split('|');
    const m = /^(\d+)_(\d+)$/.exec(jobId ?? '');
    if (!m && /_\[/.test(jobId ?? '')) continue; // a pending range: no task has started
    out.push({
      jobId: jobIdRaw,
      arrayJobId: m ? m[1] : jobIdRaw,
      taskId: m ? Number(m[2]) : null,
      state: (stateField ?? '').split(' ')[0],
      reason: null,
      exitCode: orNull(exitCode),
      startedAt: parseSlurmTime(start),
      endedAt: parseSlurmTime(end),
      node: orNull(node) === 'None assigned' ? null : orNull(node),
      restarts: null,
      from: 'sacct',
    });
  }
  return out;
}

/** `scontrol show config`: "Key = Value" lines. */
export function parseScontrolConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+=\s?(.*)$/.exec(line);
    if (m) out.set(m[1], m[2].trim());
  }
  return out;
}

/** `sbatch --parsable`: "jobid" or "jobid;cluster". */
export function parseSbatchParsable(stdout: string): string {
  const id = stdout.trim().split('\n').pop()?.split(';')[0] ?? '';
  if (!/^\d+$/.test(id)) throw new Error(`sbatch --parsable printed no job id: ${JSON.stringify(stdout.trim().slice(0, 200))}`);
  return id;
}

/** "3:0" → code 3, signal 0. */
export function parseExitCode(text: string | null): { code: number; signal: number } | null {
  const m = /^(\d+):(\d+)$/.exec(text ?? '');
  return m ? { code: Number(m[1]), signal: Number(m[2]) } : null;
}

/**
 * What srun said about a step on its stderr (podman's stderr.log for the container step, the task's log for
 * agentpod's own step): "task 0: Out Of Memory" is Slurm's verdict that the step's cgroup limit killed its
 * process; "task 0: Killed" that something outside Slurm did.
 */
export function stepStateFromSrun(stderr: string): string | null {
  if (/srun: error: [^\n]*task \d+: Out Of Memory|Detected \d+ oom-kill event\(s\) in StepId=\d+\.\d+/.test(stderr)) return 'OUT_OF_MEMORY';
  if (/STEP \d+\.\d+ ON \S+ CANCELLED/.test(stderr)) return 'CANCELLED';
  if (/STEP \d+\.\d+ ON \S+ DUE TO TIME LIMIT/.test(stderr)) return 'TIMEOUT';
  // The step's process was killed by a signal from outside Slurm (kill -9, the kernel).
  if (/srun: error: [^\n]*task \d+: (Killed|Terminated)/.test(stderr)) return 'KILLED';
  return null;
}

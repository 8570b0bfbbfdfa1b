// `agentpod doctor --slurm`: what the Slurm engine needs of the cluster (client tools, cgroup plugins, a record
// of finished tasks) and, inside a job, of a compute node (subuid/subgid, a runtime dir, node-local storage,
// the cgroup that will hold the container and whether it enforces the profile's memory). `--submit` runs the
// node checks as a job of the partition and prints what the node said. Facts are gathered once; the verdicts
// are a pure function of them.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { hasSubIdRange, type Check } from '../doctor.js';
import { UserError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { formatCommand } from '../podman/argv.js';
import { findOnPath } from '../run/resolve.js';
import { parseProcCgroup } from '../sampler/parse.js';
import { setUpPodman, type PodmanJobSetup } from './podman-env.js';
import { clusterConfig, slurmTool, type ClusterConfig } from './query.js';
import { checkPlain } from './sbatch.js';

const TOOLS = ['sbatch', 'srun', 'squeue', 'scontrol', 'scancel'] as const;

export interface NodeCgroupFacts {
  /** This process's memory cgroup path (v1) or its v2 path. */
  path: string | null;
  /** The job's memory limit in bytes (null: none, or not in a job's cgroup). */
  jobMemoryLimit: number | null;
  /** The step's cgroup directories belong to the user (Slurm's cgroup/v1 plugin): runc nests the container there. */
  stepDirOwned: boolean | null;
}

export interface SlurmDoctorFacts {
  tools: Record<string, boolean>;
  config: ClusterConfig | { error: string };
  /** Inside a Slurm job: its id and node; null on a login node. */
  job: { id: string; node: string | null } | null;
  node: {
    user: string;
    uid: number;
    subuid: boolean;
    subgid: boolean;
    podman: PodmanJobSetup | { error: string };
    cgroup: NodeCgroupFacts;
  } | null;
}

const onPath = (tool: string) => findOnPath(tool) !== undefined;

/** The job's cgroup, seen from inside it: its memory limit, and who owns the step's directory. */
export function nodeCgroupFacts(procCgroup: string, cgroupRoot = '/sys/fs/cgroup', uid = process.getuid!()): NodeCgroupFacts {
  const membership = parseProcCgroup(procCgroup) ?? [];
  const v1 = membership.find((m) => m.controllers.includes('memory'))?.path;
  const path = v1 ?? membership.find((m) => m.controllers.length === 0)?.path ?? null;
  const job = /^(.*\/job_\d+)(?:\/(step_[^/]+))?/.exec(path ?? '');
  if (!job) return { path, jobMemoryLimit: null, stepDirOwned: null };
  const base = v1 ? join(cgroupRoot, 'memory') : cgroupRoot;
  const read = (file: string) => {
    try {
      const v = readFileSync(join(base, job[1], file), 'utf8').trim();
      return v === 'max' ? null : Number(v);
    } catch {
      return null;
    }
  };
  const limit = read(v1 ? 'memory.limit_in_bytes' : 'memory.max');
  let stepDirOwned: boolean | null = null;
  try {
    if (job[2]) stepDirOwned = statSync(join(base, job[1], job[2])).uid === uid;
  } catch {
    /* not visible */
  }
  // v1 reports "no limit" as a huge page-aligned number.
  return { path, jobMemoryLimit: limit !== null && limit < 2 ** 62 ? limit : null, stepDirOwned };
}

export async function gatherSlurmFacts(env: NodeJS.ProcessEnv = process.env): Promise<SlurmDoctorFacts> {
  const tools = Object.fromEntries(TOOLS.map((t) => [t, onPath(t)]));
  let config: SlurmDoctorFacts['config'];
  try {
    config = await clusterConfig();
  } catch (e) {
    config = { error: (e as Error).message };
  }
  const job = env.SLURM_JOB_ID ? { id: env.SLURM_JOB_ID, node: env.SLURMD_NODENAME ?? null } : null;
  if (!job) return { tools, config, job, node: null };
  const info = userInfo();
  let podman: PodmanJobSetup | { error: string };
  try {
    podman = await setUpPodman(info.uid, env);
  } catch (e) {
    podman = { error: (e as Error).message };
  }
  let procCgroup = '';
  try {
    procCgroup = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    /* not Linux */
  }
  return {
    tools,
    config,
    job,
    node: {
      user: info.username,
      uid: info.uid,
      subuid: hasSubIdRange('/etc/subuid', info.username, info.uid),
      subgid: hasSubIdRange('/etc/subgid', info.username, info.uid),
      podman,
      cgroup: nodeCgroupFacts(procCgroup),
    },
  };
}

export function evaluateSlurm(f: SlurmDoctorFacts): Check[] {
  const checks: Check[] = [];
  const missing = Object.entries(f.tools).filter(([, there]) => !there).map(([t]) => t);
  checks.push(
    missing.length
      ? { name: 'slurm tools', level: 'fail', detail: `not on PATH: ${missing.join(', ')}`, fix: "run on a login node of the cluster, or install Slurm's client tools (Debian: slurm-client)" }
      : { name: 'slurm tools', level: 'ok', detail: TOOLS.join(', ') },
  );
  const c = f.config;
  if ('error' in c) {
    checks.push({ name: 'cluster', level: 'fail', detail: c.error, fix: 'is slurmctld reachable from here? (scontrol ping)' });
  } else {
    checks.push({ name: 'cluster', level: 'ok', detail: `Slurm ${c.version ?? '?'}${c.name ? `, cluster ${c.name}` : ''}, MaxArraySize ${c.maxArraySize} (larger batches are split)` });
    checks.push(
      c.proctrack === 'proctrack/cgroup'
        ? { name: 'process tracking', level: 'ok', detail: 'proctrack/cgroup: conmon and the container cannot leave the job' }
        : { name: 'process tracking', level: 'fail', detail: `${c.proctrack ?? '?'}: conmon double-forks and escapes the job (scancel would leave containers running)`, fix: 'ask the admins for ProctrackType=proctrack/cgroup' },
    );
    checks.push(
      /task\/cgroup/.test(c.taskPlugin ?? '')
        ? { name: 'memory limits', level: 'ok', detail: 'task/cgroup: --mem is a kernel limit of the job and of each step' }
        : { name: 'memory limits', level: 'warn', detail: `TaskPlugin=${c.taskPlugin ?? '?'}: --mem is not a cgroup limit, so the profile's memory is not enforced`, fix: 'ask the admins for TaskPlugin=task/cgroup with ConstrainRAMSpace=yes' },
    );
    checks.push(
      c.accounting
        ? { name: 'task records', level: 'ok', detail: 'accounting on: sacct knows every finished task' }
        : c.jobCompLog
          ? { name: 'task records', level: 'ok', detail: `no accounting; finished tasks from scontrol (MinJobAge ${c.minJobAgeSeconds ?? '?'} s) and the jobcomp log ${c.jobCompLog}` }
          : { name: 'task records', level: 'warn', detail: `no accounting and no jobcomp log: Slurm forgets a finished task after MinJobAge (${c.minJobAgeSeconds ?? '?'} s)`, fix: 'merge soon after the arrays end (the merge job does); a task that died unrecorded is then simply run again' },
    );
    checks.push(
      (c.killWaitSeconds ?? 30) >= 15
        ? { name: 'KillWait', level: 'ok', detail: `${c.killWaitSeconds ?? 30} s between TERM and KILL: time for agentpod to stop its container` }
        : { name: 'KillWait', level: 'warn', detail: `${c.killWaitSeconds} s: a cancelled task may be killed before it removes its container (the next task on the node sweeps it)`, fix: 'ask the admins for KillWait >= 15' },
    );
  }
  if (!f.job || !f.node) {
    checks.push({ name: 'compute node', level: 'warn', detail: 'not inside a job: the node checks did not run', fix: 'agentpod doctor --slurm --submit [--partition P] runs them on a node of the partition' });
    return checks;
  }
  const n = f.node;
  checks.push(
    n.subuid && n.subgid
      ? { name: 'subuid/subgid', level: 'ok', detail: `ranges for ${n.user} on ${f.job.node ?? 'this node'}` }
      : { name: 'subuid/subgid', level: 'fail', detail: `no ${!n.subuid ? '/etc/subuid' : '/etc/subgid'} range for ${n.user} on ${f.job.node ?? 'this node'}`, fix: 'ask the admins for subordinate id ranges on the compute nodes (rootless podman needs them)' },
  );
  if ('error' in n.podman) checks.push({ name: 'podman', level: 'fail', detail: n.podman.error, fix: 'is podman installed on the compute nodes?' });
  else {
    const runtime = n.podman.notes.find((x) => x.startsWith('runtime dir'));
    checks.push({ name: 'runtime dir', level: 'ok', detail: runtime ?? 'from the job' });
    const s = n.podman.storage;
    checks.push(
      s.kind === 'user'
        ? { name: 'storage', level: 'ok', detail: `the user's own, ${s.graphRoot} (local disk)` }
        : { name: 'storage', level: 'warn', detail: `per node, ${s.root}: ${s.reason}`, fix: 'images are pulled on each node, or come from an additional read-only image store (README: Running on a Slurm cluster)' },
    );
  }
  const g = n.cgroup;
  checks.push(
    g.jobMemoryLimit !== null
      ? { name: 'container cgroup', level: 'ok', detail: `the container runs in an srun step with the profile's --mem (job limit here ${Math.round(g.jobMemoryLimit / 2 ** 20)} MiB); ${g.stepDirOwned ? "the step's cgroup is the user's, so the container gets a cgroup of its own inside it (samples: slurm-container-cgroup)" : "the container stays in the step's cgroup (samples: slurm-step-cgroup, which includes podman's client and conmon)"}` }
      : { name: 'container cgroup', level: 'warn', detail: `no memory limit on this job's cgroup (${g.path ?? '?'}): the profile's memory will not be enforced`, fix: 'ask the admins for TaskPlugin=task/cgroup with ConstrainRAMSpace=yes' },
  );
  return checks;
}

/** Runs `doctor --slurm --json` as a job (a step of it, like a task) and returns what the node said. */
export async function submitDoctor(opts: { dataDir: string; partition?: string; account?: string; log: (line: string) => void }): Promise<{ node: string | null; checks: Check[] }> {
  const dir = join(opts.dataDir, 'doctor');
  checkPlain(dir, 'the data dir');
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'doctor.sbatch');
  const cli = join(packageRoot, 'dist', 'cli.js');
  writeFileSync(script, `#!/bin/bash\nexec ${formatCommand([findOnPath('srun') ?? 'srun', '--overlap', '--ntasks=1', '--export=ALL', '--quiet', process.execPath, cli, 'doctor', '--slurm', '--json'])}\n`, { mode: 0o755 });
  const output = join(dir, 'doctor-%j.out');
  const args = ['--wait', '--parsable', '--job-name=agentpod-doctor', '--nodes=1', '--ntasks=1', '--mem=1024M', '--time=10', '--export=NIL', `--output=${output}`];
  if (opts.partition) args.push(`--partition=${checkPlain(opts.partition, '--partition')}`);
  if (opts.account) args.push(`--account=${checkPlain(opts.account, '--account')}`);
  opts.log(`submitting the node checks: sbatch ${args.join(' ')} ${script} (waits for the job)`);
  const r = await slurmTool('sbatch', [...args, script]);
  const jobId = r.stdout.trim().split('\n')[0]?.split(';')[0] ?? '';
  const file = output.replace('%j', jobId);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`the doctor job ${jobId || '?'} left no output (sbatch exit ${r.exitCode}: ${r.stderr.trim() || 'no message'})`);
  }
  const json = text.slice(text.indexOf('{'));
  try {
    const parsed = JSON.parse(json) as { checks: Check[]; facts: SlurmDoctorFacts };
    return { node: parsed.facts.job?.node ?? null, checks: parsed.checks };
  } catch {
    throw new UserError(`the doctor job ${jobId} printed no result; its output (${file}):\n${text.trim().slice(-2000)}`);
  }
}

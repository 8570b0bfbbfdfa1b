// A submission manifest for unit tests of the Slurm engine's pure parts: 2 instances × the given profiles.
import { buildMatrix } from '../../src/batch/matrix.js';
import type { Profile } from '../../src/profiles.js';
import type { SubmissionManifest } from '../../src/slurm/manifest.js';
import { orderTrials, planArrays, taskResources } from '../../src/slurm/sbatch.js';
import type { SwebenchTask } from '../../src/swebench/task.js';

const GiB = 1024 ** 3;

export const testProfile = (name: string, memoryBytes: number | null, cpus: number | null, timeoutMs: number | null = 1_800_000): Profile => ({
  name,
  description: '',
  memoryBytes,
  memorySwapBytes: memoryBytes,
  cpus,
  pidsLimit: 4096,
  timeoutMs,
  model: null,
  source: `profiles/${name}.yaml`,
});

export const testTask = (instanceId: string, image: string | null): SwebenchTask => ({
  instanceId,
  problemStatement: 'fix it',
  image,
  repo: null,
  baseCommit: null,
  version: null,
  failToPass: [],
  passToPass: [],
  testCmd: null,
  install: null,
  evalCommands: [],
  logParser: null,
  evalType: 'pass_and_fail',
  evalScript: null,
  testPatch: null,
  goldPatch: null,
});

export function testManifest(opts: { profiles?: Profile[]; instances?: string[]; repeat?: number; indices?: number[]; maxArraySize?: number; submission?: number } = {}): SubmissionManifest {
  const profiles = opts.profiles ?? [testProfile('small', 2 * GiB, 1), testProfile('default', 4 * GiB, 2)];
  const instances = opts.instances ?? ['calc__a-1', 'calc__b-2'];
  const trials = orderTrials(buildMatrix(instances, profiles.map((p) => p.name), opts.repeat ?? 1), profiles.map((p) => p.name));
  const submission = opts.submission ?? 1;
  const batchDir = '/shared/agentpod/batches/b0123456789ab';
  const m: SubmissionManifest = {
    version: 1,
    batch: { id: 'b0123456789ab', name: 'tasks.jsonl', tasksFile: '/shared/tasks.jsonl', tasksSha256: 'f'.repeat(64), profiles: profiles.map((p) => p.name), repeat: opts.repeat ?? 1 },
    submission,
    createdAt: '2026-12-01T21:00:00.000Z',
    batchDir,
    dataDir: '/shared/agentpod',
    dbPath: '/shared/agentpod/agentpod.db',
    agentpod: { version: '0.1.0', node: '/usr/bin/node', cli: '/opt/agentpod/dist/cli.js', srun: '/opt/slurm/bin/srun' },
    tasks: instances.map((id) => testTask(id, `docker.io/swebench/${id}:latest`)),
    profiles,
    template: { text: '{{problem_statement}}', source: 'prompts/swebench.md' },
    launch: { shareMode: 'host', sampleIntervalMs: 100 },
    grading: null,
    trials,
    resources: profiles.map((p) => taskResources(p)),
    sbatch: { partition: null, account: null, maxRunning: null, extraArgs: [] },
    env: { PATH: '/usr/bin:/bin', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' },
    secretsFile: `${batchDir}/secrets.json`,
    cluster: { name: 'agentpod', maxArraySize: opts.maxArraySize ?? 1001 },
    arrays: [],
    merge: { script: `${batchDir}/submissions/001/merge.sbatch`, jobId: null },
  };
  m.arrays = planArrays(trials, opts.indices ?? trials.map((t) => t.index), m.cluster.maxArraySize).map((a) => ({ ...a, script: `${batchDir}/submissions/001/${a.profile}-${a.offset}.sbatch`, jobId: null }));
  return m;
}

// The sbatch/srun command lines and batch scripts of the Slurm engine, from a manifest, without Slurm.
import { describe, expect, it } from 'vitest';
import { trialLabel } from '../../src/batch/matrix.js';
import {
  arrayOptions,
  arrayScript,
  checkPlain,
  containerStepArgv,
  formatIndexList,
  mergeOptions,
  mergeScript,
  parseIndexList,
  planArrays,
  RUNNER_ALLOWANCE_MIB,
  runnerStepArgv,
  sbatchArgv,
  taskResources,
  TIME_MARGIN_MINUTES,
} from '../../src/slurm/sbatch.js';
import { testManifest, testProfile } from '../helpers/slurm-manifest.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const option = (argv: string[], name: string) => argv.filter((a) => a.startsWith(`${name}=`)).map((a) => a.slice(name.length + 1));

describe('task resources from a profile', () => {
  it('--mem is the profile memory plus the runner allowance; the step gets the profile memory', () => {
    const r = taskResources(testProfile('small', 2 * GiB, 1));
    expect(r).toMatchObject({ stepMemMiB: 2048, jobMemMiB: 2048 + RUNNER_ALLOWANCE_MIB });
  });

  it('memory that is not whole MiB is rounded down for the step (never more than the profile)', () => {
    expect(taskResources(testProfile('odd', 1_500_000_000, 1)).stepMemMiB).toBe(1430);
  });

  it('--cpus-per-task rounds a fractional request up and keeps the request', () => {
    expect(taskResources(testProfile('half', GiB, 0.5))).toMatchObject({ cpusPerTask: 1, cpusRequested: 0.5 });
    expect(taskResources(testProfile('x', GiB, 1.5))).toMatchObject({ cpusPerTask: 2, cpusRequested: 1.5 });
    expect(taskResources(testProfile('two', GiB, 2))).toMatchObject({ cpusPerTask: 2, cpusRequested: 2 });
  });

  it('--time is the timeout in whole minutes plus the margin', () => {
    expect(taskResources(testProfile('t', GiB, 1, 30 * 60_000)).timeMinutes).toBe(30 + TIME_MARGIN_MINUTES);
    expect(taskResources(testProfile('t', GiB, 1, 90_500)).timeMinutes).toBe(2 + TIME_MARGIN_MINUTES);
  });

  it('with grading the task also holds the grading: its time added, its memory when larger, its own step memory', () => {
    const agent = testProfile('small', 2 * GiB, 1, 30 * 60_000);
    // The harness's evaluation profile: no memory limit, 30 minutes. The grading step gets the task's memory.
    const harness = taskResources(agent, RUNNER_ALLOWANCE_MIB, testProfile('eval', null, null, 30 * 60_000));
    expect(harness).toMatchObject({ jobMemMiB: 2048 + RUNNER_ALLOWANCE_MIB, stepMemMiB: 2048, evalStepMemMiB: 2048, timeMinutes: 60 + TIME_MARGIN_MINUTES });
    const bigger = taskResources(agent, RUNNER_ALLOWANCE_MIB, testProfile('eval-8g', 8 * GiB, null, 10 * 60_000));
    expect(bigger).toMatchObject({ jobMemMiB: 8192 + RUNNER_ALLOWANCE_MIB, stepMemMiB: 2048, evalStepMemMiB: 8192, timeMinutes: 40 + TIME_MARGIN_MINUTES });
    expect(taskResources(agent).evalStepMemMiB).toBeNull();
    expect(taskResources(agent, RUNNER_ALLOWANCE_MIB, testProfile('eval-forever', null, null, null)).timeMinutes).toBeNull();
  });

  it('an unlimited profile asks for nothing (the partition decides)', () => {
    expect(taskResources(testProfile('unlimited', null, null, null))).toMatchObject({ jobMemMiB: null, stepMemMiB: null, cpusPerTask: null, timeMinutes: null });
    const m = testManifest({ profiles: [testProfile('unlimited', null, null, null)] });
    const opts = arrayOptions(m, m.arrays[0]);
    expect(opts.some((o) => /^--(mem|cpus-per-task|time)=/.test(o))).toBe(false);
  });
});

describe('array index lists', () => {
  it('compacts runs of indices and reads them back', () => {
    expect(formatIndexList([5, 0, 1, 2, 3, 7, 8, 9, 3])).toBe('0-3,5,7-9');
    expect(parseIndexList('0-3,5,7-9%4')).toEqual([0, 1, 2, 3, 5, 7, 8, 9]);
    expect(parseIndexList('1-7:3')).toEqual([1, 4, 7]);
    expect(formatIndexList([])).toBe('');
  });
});

describe('arrays of a submission', () => {
  it('one array per profile; indices profile by profile, one instance\'s trials together', () => {
    const m = testManifest({ repeat: 2 });
    expect(m.trials.map(trialLabel)).toEqual([
      'calc__a-1 × small #0', 'calc__a-1 × small #1', 'calc__b-2 × small #0', 'calc__b-2 × small #1',
      'calc__a-1 × default #0', 'calc__a-1 × default #1', 'calc__b-2 × default #0', 'calc__b-2 × default #1',
    ]);
    expect(m.arrays.map((a) => [a.profile, a.offset, formatIndexList(a.indices)])).toEqual([['small', 0, '0-3'], ['default', 0, '4-7']]);
  });

  it('a rerun submits a sparse list: only the trials asked for', () => {
    const m = testManifest({ repeat: 2, indices: [1, 6] });
    expect(m.arrays.map((a) => option(arrayOptions(m, a), '--array')[0])).toEqual(['1', '6']);
  });

  it('splits above MaxArraySize: task ids stay below it, and the offset gives the trial back', () => {
    const m = testManifest({ instances: ['i0', 'i1', 'i2', 'i3', 'i4'], repeat: 1, maxArraySize: 3 });
    // small: 0-4, default: 5-9; blocks of 3 indices.
    expect(m.arrays.map((a) => [a.profile, a.offset, option(arrayOptions(m, a), '--array')[0]])).toEqual([
      ['small', 0, '0-2'],
      ['small', 3, '0-1'],
      ['default', 3, '2'],
      ['default', 6, '0-2'],
      ['default', 9, '0'],
    ]);
    for (const a of m.arrays) {
      const ids = parseIndexList(option(arrayOptions(m, a), '--array')[0]);
      expect(Math.max(...ids)).toBeLessThan(3);
      expect(ids.map((id) => m.trials[a.offset + id].profile).every((p) => p === a.profile)).toBe(true);
    }
    expect(m.arrays.flatMap((a) => a.indices).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses a MaxArraySize that is not a positive whole number', () => {
    expect(() => planArrays([], [], 0)).toThrow(/MaxArraySize/);
  });
});

describe('sbatch options', () => {
  it('one array: name, array with the %M throttle, resources, log pattern, no exported environment, user options last', () => {
    const m = testManifest();
    m.sbatch = { partition: 'cpu', account: 'lab-1', maxRunning: 8, extraArgs: ['--qos=long', '--time=90'] };
    const opts = arrayOptions(m, m.arrays[1]);
    expect(opts).toEqual([
      '--job-name=agentpod-b0123456789ab-default',
      '--array=2-3%8',
      '--nodes=1',
      '--ntasks=1',
      '--cpus-per-task=2',
      `--mem=${4096 + RUNNER_ALLOWANCE_MIB}M`,
      `--time=${30 + TIME_MARGIN_MINUTES}`,
      '--output=/shared/agentpod/batches/b0123456789ab/submissions/001/logs/%A_%a.out',
      '--partition=cpu',
      '--account=lab-1',
      '--export=NIL',
      '--qos=long',
      '--time=90',
    ]);
    expect(sbatchArgv(opts, m.arrays[1].script)).toEqual(['sbatch', '--parsable', ...opts, m.arrays[1].script]);
  });

  it('the merge job runs after every array whatever their outcome, and keeps the user\'s options but resource ones', () => {
    const m = testManifest();
    m.sbatch.extraArgs = ['--qos=long', '--time=90', '--mem=64G'];
    const opts = mergeOptions(m, ['101', '102']);
    expect(opts).toContain('--dependency=afterany:101:102');
    expect(opts).toContain('--qos=long');
    expect(opts.filter((o) => o.startsWith('--time=') || o.startsWith('--mem='))).toEqual(['--mem=1024M', '--time=60']);
    expect(option(opts, '--output')).toEqual(['/shared/agentpod/batches/b0123456789ab/submissions/001/logs/merge-%j.out']);
  });

  it('paths and names with blanks, quotes or % are refused (sbatch reads them in #SBATCH lines and patterns)', () => {
    expect(() => checkPlain('/home/a b/batches', '--batch-dir')).toThrow(/--batch-dir "\/home\/a b\/batches"/);
    expect(() => checkPlain('/data/50%', '--batch-dir')).toThrow(/no blanks, quotes or %/);
    expect(checkPlain('/shared/agentpod/batches/b1', '--batch-dir')).toBe('/shared/agentpod/batches/b1');
  });
});

describe('scripts', () => {
  const m = testManifest();
  const manifestFile = '/shared/agentpod/batches/b0123456789ab/submissions/001/manifest.json';

  it('the array script carries every option as #SBATCH lines and runs agentpod as a step of its own', () => {
    const script = arrayScript(m, m.arrays[0], manifestFile);
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH ')).map((l) => l.slice('#SBATCH '.length));
    expect(directives).toEqual(arrayOptions(m, m.arrays[0]));
    expect(script).toContain("trap 'true' TERM");
    expect(script).toContain(
      `/opt/slurm/bin/srun --overlap --nodes=1 --ntasks=1 --export=ALL --quiet --job-name=agentpod-runner --cpus-per-task=1 --mem=${RUNNER_ALLOWANCE_MIB - 32}M /usr/bin/node /opt/agentpod/dist/cli.js slurm-task --manifest ${manifestFile} --offset 0\n`,
    );
    // The sweep runs only when no shard was published.
    expect(script).toContain('if [ ! -e "/shared/agentpod/batches/b0123456789ab/shards/s001-i$(printf %06d $((0 + SLURM_ARRAY_TASK_ID)))-j${SLURM_JOB_ID}-r${SLURM_RESTART_COUNT:-0}.db" ]; then');
    expect(script).toContain('slurm-task --manifest');
    expect(script).toContain('--sweep; fi');
    expect(script.trimEnd().endsWith('exit "$status"')).toBe(true);
  });

  it('no secret reaches a script: they stay in the 0600 file the manifest names', () => {
    const withSecret = { ...m, env: { ...m.env } };
    const script = arrayScript(withSecret, m.arrays[0], manifestFile) + mergeScript(withSecret, ['1']);
    expect(script).not.toMatch(/ANTHROPIC_API_KEY|sk-|TOKEN/);
  });

  it('the merge script merges the batch folder into the submitting database', () => {
    const script = mergeScript(m, ['101', '102']);
    expect(script).toContain('#SBATCH --dependency=afterany:101:102');
    expect(script).toContain('exec /usr/bin/node /opt/agentpod/dist/cli.js merge --batch-dir /shared/agentpod/batches/b0123456789ab --into /shared/agentpod/agentpod.db');
  });
});

describe('steps', () => {
  it('the container step has the profile\'s own memory and CPUs, and shares the task\'s CPUs with agentpod', () => {
    const r = taskResources(testProfile('small', 2 * GiB + 5 * MiB, 1));
    expect(containerStepArgv(r, 'r1')).toEqual(['srun', '--overlap', '--nodes=1', '--ntasks=1', '--export=ALL', '--quiet', '--job-name=agentpod-r1', '--cpus-per-task=1', '--mem=2053M']);
    expect(runnerStepArgv(r)).toContain(`--mem=${RUNNER_ALLOWANCE_MIB - 32}M`);
    expect(r.jobMemMiB).toBe(2053 + RUNNER_ALLOWANCE_MIB);
  });
});

import type { CommandModule } from 'yargs';
import { abortOnSignals, EXIT_BY_STATUS } from './launch.js';

interface TaskArgs {
  manifest: string;
  offset: number;
  sweep: boolean;
}

/** 2 when the trial could not be launched at all (its image could not be fixed, its prompt made). */
const EXIT_ERROR = 2;

export const slurmTaskCommand: CommandModule<object, TaskArgs> = {
  command: 'slurm-task',
  describe: 'One trial of a Slurm batch, inside its array task (what the scripts of `batch --slurm` run)',
  builder: (y) =>
    y
      .option('manifest', { type: 'string', demandOption: true, describe: "the submission's manifest.json in the batch folder" })
      .option('offset', { type: 'number', default: 0, describe: 'trial index = offset + $SLURM_ARRAY_TASK_ID' })
      .option('sweep', { type: 'boolean', default: false, describe: 'only remove what dead tasks left on this node (containers, unpublished shards)' })
      .epilogue(
        [
          'Run by the sbatch scripts `agentpod batch --slurm` writes, one per array task. It reads its trial from the',
          'manifest; sets up rootless podman for a batch job (XDG_RUNTIME_DIR=/tmp/podman-run-UID when the job has no',
          "usable one, the user's own storage when it is on a local disk, else /tmp/agentpod-UID/storage; cgroupfs",
          "manager, file events); reads secrets from the manifest's 0600 file; sweeps leftovers of dead tasks on this",
          'node; runs the trial as a local batch would, with the container in an srun step that has the profile\'s',
          '--mem and CPUs; writes its rows to a SQLite shard on node-local disk, publishes it into <batch>/shards/ with',
          "an atomic rename, and exits with the trial's status: 0 ok, 1 failed, 3 oom, 4 timeout, 130 interrupted, 2 not launched.",
        ].join('\n'),
      ),
  handler: async (args) => {
    const { resolve } = await import('node:path');
    const { runSlurmTask } = await import('../slurm/task.js');
    const log = (line: string) => process.stderr.write(`agentpod slurm-task: ${line}\n`);
    const outcome = await runSlurmTask({ manifestFile: resolve(args.manifest), offset: args.offset, sweepOnly: args.sweep, signal: abortOnSignals().signal, log });
    if (args.sweep) return;
    process.exitCode = outcome.status === 'error' ? EXIT_ERROR : EXIT_BY_STATUS[outcome.status];
  },
};

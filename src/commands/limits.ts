import type { CommandModule } from 'yargs';
import { ConfigError } from '../errors.js';
import { withStoreOptions, type StoreArgs } from './common.js';
import { openExistingStore } from './analysis-common.js';
import { rootlessGuard } from './launch.js';

interface LimitsArgs extends StoreArgs {
  run: string;
  memory?: string;
  'memory-swap'?: string;
  cpus?: string;
  'memory-high'?: string;
  'memory-low'?: string;
  'cpu-weight'?: string;
  json: boolean;
  'as-user'?: string;
}

const FLAGS = ['memory', 'memory-swap', 'cpus', 'memory-high', 'memory-low', 'cpu-weight'] as const;

export const limitsCommand: CommandModule<object, LimitsArgs> = {
  command: 'limits <run>',
  describe: "Change a running agent's limits (podman update, cgroup v2), read them back and record the change",
  builder: (y) =>
    withStoreOptions(y)
      .positional('run', { type: 'string', demandOption: true, describe: 'the run id (agentpod query runs)' })
      .option('memory', { type: 'string', describe: 'memory limit, e.g. 2g ("unlimited": none); memory-swap follows unless given' })
      .option('memory-swap', { type: 'string', describe: 'memory + swap limit' })
      .option('cpus', { type: 'string', describe: 'CPU limit, e.g. 1.5 ("unlimited": none)' })
      .option('memory-high', { type: 'string', describe: 'soft memory limit (memory.high): throttle and reclaim above it' })
      .option('memory-low', { type: 'string', describe: 'memory reservation (memory.low)' })
      .option('cpu-weight', { type: 'string', describe: 'CPU weight, 1-10000 (kernel default 100)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the readings as JSON' })
      .option('as-user', { type: 'string', describe: 'when root: run as the user that launched the run' })
      .example('$0 limits 20260501-120000-abcdef --memory 2g --memory-high 1500m --cpus 1', 'tighten a running agent')
      .example('$0 limits RUN --memory-high unlimited', 'lift its soft memory limit'),
  handler: async (args) => {
    const reexecCode = await rootlessGuard({ 'dry-run': false, 'as-user': args['as-user'] });
    if (reexecCode !== undefined) process.exit(reexecCode);
    const { parseLimitFlags } = await import('../profiles.js');
    const change = parseLimitFlags(Object.fromEntries(FLAGS.map((f) => [f, args[f]])));
    if (Object.keys(change).length === 0) throw new ConfigError(`name a limit to change: ${FLAGS.map((f) => `--${f}`).join(', ')}`);
    const { changeRunLimits } = await import('../control/live.js');
    const { readingLine } = await import('../control/events.js');
    const db = await openExistingStore(args);
    try {
      const readings = await changeRunLimits(db, args.run, change);
      if (args.json) process.stdout.write(`${JSON.stringify(readings)}\n`);
      else for (const r of readings) process.stdout.write(`${readingLine(r)}\n`);
      // A key that did not take effect is a failure; one that could not be read back (the container exited) is not.
      process.exitCode = readings.some((r) => r.confirmed === false) ? 1 : 0;
    } finally {
      db.close();
    }
  },
};

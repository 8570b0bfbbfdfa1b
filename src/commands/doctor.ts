import type { CommandModule } from 'yargs';
import type { Check } from '../doctor.js';
import { resolveStore, withStoreOptions, type StoreArgs } from './common.js';

interface DoctorArgs extends StoreArgs {
  json: boolean;
  slurm: boolean;
  submit: boolean;
  partition?: string;
  account?: string;
}

function printChecks(checks: Check[], prefix = ''): void {
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    process.stdout.write(`${prefix}${c.level.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}\n`);
    if (c.fix && c.level !== 'ok') process.stdout.write(`${prefix}${''.padEnd(6 + width)}  fix: ${c.fix}\n`);
  }
}

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: 'Check podman, rootless setup, cgroup limits, runtime, storage, claude and credentials (--slurm: a cluster and its nodes)',
  builder: (y) =>
    withStoreOptions(y)
      .option('json', { type: 'boolean', default: false })
      .option('slurm', { type: 'boolean', default: false, describe: "what the Slurm engine needs: the cluster's plugins, and (inside a job) the compute node" })
      .option('submit', { type: 'boolean', default: false, describe: 'with --slurm: run the node checks as a job and print what the node said' })
      .option('partition', { type: 'string', describe: 'with --submit: the partition whose nodes to check' })
      .option('account', { type: 'string', describe: 'with --submit: the account to charge' })
      .example('$0 doctor', 'one line per check: ok / warn / fail, with a fix')
      .example('$0 doctor --json', 'the same as JSON')
      .example('$0 doctor --slurm --submit --partition cpu', 'check a compute node of partition cpu'),
  handler: async (args) => {
    let checks: Check[];
    let facts: unknown;
    if (args.slurm) {
      const { evaluateSlurm, gatherSlurmFacts, submitDoctor } = await import('../slurm/doctor.js');
      const f = await gatherSlurmFacts();
      checks = evaluateSlurm(f);
      facts = f;
      if (args.submit) {
        const node = await submitDoctor({ dataDir: resolveStore(args).dataDir, partition: args.partition, account: args.account, log: (l) => process.stderr.write(`agentpod: ${l}\n`) });
        // The node's own verdicts replace the login node's "not inside a job".
        checks = [...checks.filter((c) => c.name !== 'compute node'), ...node.checks.filter((c) => !checks.some((x) => x.name === c.name)).map((c) => ({ ...c, name: `${node.node ?? 'node'}: ${c.name}` }))];
      }
    } else {
      const { evaluate, gatherFacts } = await import('../doctor.js');
      facts = await gatherFacts();
      checks = evaluate(facts as Awaited<ReturnType<typeof gatherFacts>>);
    }
    if (args.json) process.stdout.write(`${JSON.stringify({ checks, facts }, null, 2)}\n`);
    else printChecks(checks);
    if (checks.some((c) => c.level === 'fail')) process.exitCode = 1;
  },
};

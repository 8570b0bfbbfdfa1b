import type { CommandModule } from 'yargs';

export const doctorCommand: CommandModule<object, { json: boolean }> = {
  command: 'doctor',
  describe: 'Check podman, rootless setup, cgroup limits, runtime, storage, claude and credentials',
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false })
      .example('$0 doctor', 'one line per check: ok / warn / fail, with a fix')
      .example('$0 doctor --json', 'the same as JSON'),
  handler: async (args) => {
    const { evaluate, gatherFacts } = await import('../doctor.js');
    const facts = await gatherFacts();
    const checks = evaluate(facts);
    if (args.json) process.stdout.write(`${JSON.stringify({ checks, facts }, null, 2)}\n`);
    else {
      const width = Math.max(...checks.map((c) => c.name.length));
      for (const c of checks) {
        process.stdout.write(`${c.level.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}\n`);
        if (c.fix && c.level !== 'ok') process.stdout.write(`${''.padEnd(6 + width)}  fix: ${c.fix}\n`);
      }
    }
    if (checks.some((c) => c.level === 'fail')) process.exitCode = 1;
  },
};

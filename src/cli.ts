#!/usr/bin/env node
// agentpod's command line: thin yargs commands over the modules in src/.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from './errors.js';
import { commands } from './commands/index.js';

export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('agentpod')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'Name a command; see agentpod --help')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err, y) => {
      if (err) throw err;
      throw new UserError(`${msg}\n\n${y.help().toString?.() ?? ''}`.trim(), 2);
    });
  for (const command of commands) cli = cli.command(command);
  await cli.parseAsync();
}

main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof UserError) {
    process.stderr.write(`agentpod: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  process.stderr.write(`agentpod: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});

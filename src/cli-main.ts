// The yargs part of the command line (src/cli.ts loads it for everything but --version). The build bundles this
// file with yargs into one (scripts/bundle-cli.mjs).
import yargs from 'yargs';
import { commands } from './commands/index.js';
import { UserError } from './errors.js';
import { packageVersion } from './package-root.js';

export async function runCli(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('agentpod')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg: string | null, err: Error | undefined) => {
      // A handler's own error goes on as it is; the parser's (YError, also for a coerce that threw) becomes one
      // line, not the whole help: the message and where to look.
      if (err && err.name !== 'YError') throw err;
      const command = argv.find((a) => !a.startsWith('-'));
      const help = command && commands.some((c) => String(c.command).split(' ')[0] === command) ? `agentpod ${command} --help` : 'agentpod --help';
      throw new UserError(`${(msg ?? err?.message ?? 'bad arguments').replace(/\s+/g, ' ').trim()} (see ${help})`, 2);
    });
  for (const command of commands) cli = cli.command(command);
  await cli.parseAsync();
}

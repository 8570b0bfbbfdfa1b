#!/usr/bin/env node
// agentpod's command line: thin yargs commands over the modules in src/ (cli-main.ts). `--version` is answered
// before yargs is loaded: yargs alone takes longer to load than node takes to start.
import { UserError } from './errors.js';
import { packageVersion } from './package-root.js';

async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  const { runCli } = await import('./cli-main.js');
  await runCli(argv);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UserError) {
    process.stderr.write(`agentpod: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  process.stderr.write(`agentpod: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});

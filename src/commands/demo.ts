import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { formatBytes } from '../units.js';
import { openStore, resolveStore, withStoreOptions, type StoreArgs } from './common.js';
import { verdictLine } from './grading.js';
import { abortOnSignals, EXIT_BY_STATUS, outcomeLine } from './launch.js';

interface DemoArgs extends StoreArgs {
  'as-user': string;
}

/** As root: install what is missing (packages, the rootless user, the instance image), then rerun as that user. */
async function demoAsRoot(user: string): Promise<number> {
  const { execa } = await import('execa');
  const { reexecAsUser } = await import('../as-user.js');
  process.stderr.write(`agentpod demo: running as root; setting up the machine (scripts/setup.sh), then running as the unprivileged user "${user}" (rootless podman needs one)\n`);
  const setup = await execa('bash', [join(packageRoot, 'scripts', 'setup.sh'), '--no-chromium'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { AGENTPOD_TEST_USER: user },
    reject: false,
  });
  if (setup.exitCode !== 0) throw new UserError(`machine setup failed (scripts/setup.sh exit ${setup.exitCode}); see its output above`);
  const code = await reexecAsUser(user, ['demo', ...process.argv.slice(3)]);
  // The data belongs to that user: look at it as that user (a root process would leave root-owned files in it).
  process.stderr.write(`\nthe demo ran as "${user}"; to look further, run agentpod as that user, e.g.: runuser -u ${user} -- node ${process.argv[1]} query runs\n`);
  return code;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Offline demo: the real Claude Code fixes a bug in a realistic SWE-bench-style instance (toolz) against a scripted API',
  builder: (y) =>
    withStoreOptions(y)
      .option('as-user', { type: 'string', default: 'agentpod', describe: 'when root: the unprivileged user that runs the demo (created if missing)' })
      .example('$0 demo', 'as a normal user: import the instance image, run the agent, print the patch and per-tool memory')
      .example('sudo $0 demo', 'as root: install podman etc., create the user "agentpod", build the instance image, run the demo as that user'),
  handler: async (args) => {
    const { isRoot } = await import('../as-user.js');
    if (isRoot()) {
      process.exitCode = await demoAsRoot(args['as-user']);
      return;
    }
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const store = resolveStore(args);
    const { runDemo } = await import('../demo/run-demo.js');
    const db = await openStore(args);
    const controller = abortOnSignals();
    try {
      const { outcome, patch, reportPath, toolResources } = await runDemo({ db, dataDir: store.dataDir, signal: controller.signal, log });
      const row = db.prepare('SELECT peak_memory_bytes, sample_source, sample_count FROM runs WHERE id = ?').get(outcome.runId) as Record<string, unknown>;
      process.stdout.write(
        [
          `\n${outcomeLine(outcome)}`,
          outcome.error ? `error: ${outcome.error}` : null,
          outcome.agentResult?.result ? `agent: ${outcome.agentResult.result}` : null,
          outcome.evaluation ? verdictLine(outcome.evaluation) : `verdict: none (${outcome.gradingError ?? 'not graded'})`,
          `\npatch (${patch === null ? 'none' : `${Buffer.byteLength(patch)} bytes`}):\n${patch ?? ''}`,
          `resources: ${row.sample_count ?? 0} samples from ${row.sample_source ?? 'nowhere'}, peak ${formatBytes(row.peak_memory_bytes as number | null)}; per tool call:`,
          toolResources,
          `folder:   ${outcome.runDir}`,
          `trace:    ${outcome.tracePath}`,
          `database: ${store.dbPath}`,
          `report:   ${reportPath}`,
          outcome.evaluation ? `grading:  ${outcome.evaluation.eval_dir} (eval.sh, test_output.txt, report.json)` : null,
          `\nnext: agentpod query runs; agentpod query tool-resources --run ${outcome.runId}; agentpod report ${outcome.runId}; agentpod grade --regrade ${outcome.runId}`,
        ]
          .filter((line) => line !== null)
          .join('\n') + '\n',
      );
      process.exitCode = EXIT_BY_STATUS[outcome.status];
      if (outcome.status === 'ok' && !patch) throw new UserError('the demo run ended ok but produced no patch');
      if (outcome.status === 'ok' && outcome.evaluation?.status !== 'resolved') throw new UserError(`the demo's patch did not resolve the instance: ${outcome.evaluation?.message ?? outcome.gradingError ?? 'not graded'}`);
    } finally {
      db.close();
    }
  },
};

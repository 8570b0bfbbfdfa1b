import type { CommandModule } from 'yargs';
import { ConfigError } from '../errors.js';

interface MockApiArgs {
  script: string;
  port: number;
  host: string;
}

export const mockApiCommand: CommandModule<object, MockApiArgs> = {
  command: 'mock-api',
  describe: 'Serve a scripted Anthropic Messages API on loopback, so Claude Code runs offline',
  builder: (y) =>
    y
      .option('script', { type: 'string', demandOption: true, describe: 'YAML/JSON script of assistant turns' })
      .option('port', { type: 'number', default: 0, describe: 'port (0: any free port)' })
      .option('host', { type: 'string', default: '127.0.0.1' })
      .example('$0 mock-api --script traces/scripts/demo.yaml --port 8787', 'then: ANTHROPIC_BASE_URL=http://127.0.0.1:8787 claude -p ...'),
  handler: async (args) => {
    const { loadScript, ScriptError } = await import('../mockapi/script.js');
    const { startMockApi } = await import('../mockapi/server.js');
    let script;
    try {
      script = loadScript(args.script);
    } catch (e) {
      if (e instanceof ScriptError) throw new ConfigError(e.message);
      throw new ConfigError(`cannot read script ${args.script}: ${(e as Error).message}`);
    }
    const server = await startMockApi(script, {
      port: args.port,
      host: args.host,
      onRequest: ({ firstUserText, ...r }) => process.stderr.write(`${JSON.stringify({ ...r, promptBytes: Buffer.byteLength(firstUserText) })}\n`),
    });
    process.stdout.write(`${server.url}\n`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
};

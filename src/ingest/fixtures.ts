// Generates real Claude Code traces offline: the real CLI against the scripted Messages-API server.
// `node dist/ingest/fixtures.js [--user NAME] [--fixture cli-2.0 --claude PATH]` regenerates traces/fixtures/cli/
// with the pinned CLI, or traces/fixtures/cli-2.0/ with a Claude Code 2.0 CLI given by path (as root: run
// claude as NAME, default "agentpod", since claude refuses --dangerously-skip-permissions as root).
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { isRoot, lookupUser } from '../as-user.js';
import { parseScript } from '../mockapi/script.js';
import { startMockApi } from '../mockapi/server.js';
import { packageRoot } from '../package-root.js';
import { claudeTracePath } from '../paths.js';

export interface GeneratedTrace {
  sessionId: string;
  /** The session's main trace file. */
  tracePath: string;
  /** `<session>/subagents/` next to it (Claude Code 2.1), when a subagent ran. */
  subagentDir: string | null;
  workdir: string;
  /** claude's stream-json output. */
  stdout: string;
}

export interface GenerateOptions {
  /** Mock-API script (YAML); `FIXTURE_DIR` in it is replaced by the work dir. */
  scriptFile: string;
  prompt: string;
  sessionId: string;
  /** As root: the user claude runs as. */
  user?: string;
  claude?: string;
  /** Files to create in the work dir. */
  files?: Record<string, string>;
}

export async function generateTrace(options: GenerateOptions): Promise<GeneratedTrace> {
  const account = isRoot() ? lookupUser(options.user ?? 'agentpod') : null;
  const home = account?.home ?? process.env.HOME!;
  const workdir = mkdtempSync(join(tmpdir(), 'agentpod-fixture-'));
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(workdir, name), text);
  if (account) for (const p of [workdir, ...Object.keys(options.files ?? {}).map((n) => join(workdir, n))]) chownSync(p, account.uid, account.gid);

  const script = parseScript(readFileSync(options.scriptFile, 'utf8').replaceAll('FIXTURE_DIR', workdir), options.scriptFile);
  const server = await startMockApi(script);
  try {
    const env = [`HOME=${home}`, `ANTHROPIC_BASE_URL=${server.url}`, 'ANTHROPIC_API_KEY=sk-agentpod-fixture', 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1'];
    const claudeArgs = ['-p', '--session-id', options.sessionId, '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions', options.prompt];
    const claude = options.claude ?? 'claude';
    const [file, args] = account ? ['runuser', ['-u', account.name, '--', 'env', ...env, claude, ...claudeArgs]] : ['env', [...env, claude, ...claudeArgs]];
    const result = await execa(file, args, { cwd: workdir, reject: false, timeout: 120_000, stdin: 'ignore' });
    if (result.exitCode !== 0) throw new Error(`claude exited ${result.exitCode}: ${String(result.stderr).slice(0, 2000)}`);
    const tracePath = claudeTracePath(home, workdir, options.sessionId);
    if (!existsSync(tracePath)) throw new Error(`claude wrote no trace at ${tracePath}`);
    const subagentDir = join(dirname(tracePath), options.sessionId, 'subagents');
    return { sessionId: options.sessionId, tracePath, subagentDir: existsSync(subagentDir) ? subagentDir : null, workdir, stdout: String(result.stdout) };
  } finally {
    await server.close();
  }
}

/** The committed fixtures: traces/scripts/fixture-session.yaml played by the pinned CLI ... */
export const FIXTURE_SESSION_ID = '00000000-0000-4000-8000-00000000f1c5';
/** ... and traces/scripts/fixture-session-2.0.yaml by a Claude Code 2.0 CLI (inline sidechain subagents). */
export const FIXTURE_20_SESSION_ID = '00000000-0000-4000-8000-0000000020f1';

const FIXTURES: Record<string, { script: string; sessionId: string }> = {
  cli: { script: 'fixture-session.yaml', sessionId: FIXTURE_SESSION_ID },
  'cli-2.0': { script: 'fixture-session-2.0.yaml', sessionId: FIXTURE_20_SESSION_ID },
};

async function main(): Promise<void> {
  const flag = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const root = packageRoot;
  const name = flag('--fixture') ?? 'cli';
  const fixture = FIXTURES[name];
  if (!fixture) throw new Error(`--fixture: one of ${Object.keys(FIXTURES).join(', ')}`);
  const trace = await generateTrace({
    scriptFile: join(root, 'traces', 'scripts', fixture.script),
    prompt: 'Do the fixture task',
    sessionId: fixture.sessionId,
    user: flag('--user'),
    claude: flag('--claude'),
    files: { 'notes.txt': 'hello notes\n' },
  });
  const out = join(root, 'traces', 'fixtures', name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(trace.tracePath, join(out, `${fixture.sessionId}.jsonl`));
  if (trace.subagentDir) cpSync(trace.subagentDir, join(out, fixture.sessionId, 'subagents'), { recursive: true });
  // Claude writes its traces 0600; fixtures are for everyone to read.
  for (const name of readdirSync(out, { recursive: true, encoding: 'utf8' })) chmodSync(join(out, name), name.endsWith('.json') || name.endsWith('.jsonl') ? 0o644 : 0o755);
  rmSync(trace.workdir, { recursive: true, force: true });
  rmSync(dirname(trace.tracePath), { recursive: true, force: true });
  process.stdout.write(`wrote ${out}\n`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}

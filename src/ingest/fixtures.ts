// Generates real Claude Code traces offline: the real CLI against the scripted Messages-API server.
// `node dist/ingest/fixtures.js [--user NAME]` regenerates traces/fixtures/cli/ (as root: run claude as NAME,
// default "agentpod", since claude refuses --dangerously-skip-permissions as root).
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

/** The committed fixture: traces/scripts/fixture-session.yaml played by the real CLI. */
export const FIXTURE_SESSION_ID = '00000000-0000-4000-8000-00000000f1c5';

async function main(): Promise<void> {
  const userFlag = process.argv.indexOf('--user');
  const root = packageRoot;
  const trace = await generateTrace({
    scriptFile: join(root, 'traces', 'scripts', 'fixture-session.yaml'),
    prompt: 'Do the fixture task',
    sessionId: FIXTURE_SESSION_ID,
    user: userFlag > 0 ? process.argv[userFlag + 1] : undefined,
    files: { 'notes.txt': 'hello notes\n' },
  });
  const out = join(root, 'traces', 'fixtures', 'cli');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(trace.tracePath, join(out, `${FIXTURE_SESSION_ID}.jsonl`));
  if (trace.subagentDir) cpSync(trace.subagentDir, join(out, FIXTURE_SESSION_ID, 'subagents'), { recursive: true });
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

// Integration tests run the rootless part as a non-root user: the current one, or (as root)
// $AGENTPOD_TEST_USER (default "agentpod", created by .ci/run or `agentpod demo`).
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type Options, type Result } from 'execa';
import { LABEL_RUN_ID } from '../../src/launch-spec.js';

export const isRoot = process.getuid?.() === 0;
export const testUserName = isRoot ? (process.env.AGENTPOD_TEST_USER ?? 'agentpod') : (process.env.USER ?? '');

function lookupUser(name: string): { uid: number; gid: number; home: string } {
  let line: string;
  try {
    line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`integration tests need the non-root user "${name}" (run .ci/run, or useradd -m ${name}, or set AGENTPOD_TEST_USER)`);
  }
  const [, , uid, gid, , home] = line.split(':');
  return { uid: Number(uid), gid: Number(gid), home };
}

export const testUser = isRoot ? lookupUser(testUserName) : { uid: process.getuid!(), gid: process.getgid!(), home: process.env.HOME! };

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const cliPath = join(repoRoot, 'dist', 'cli.js');

/** A fresh temp dir owned by the test user. */
export function userTempDir(prefix = 'agentpod-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (isRoot) chownSync(dir, testUser.uid, testUser.gid);
  return dir;
}

/** argv prefix that runs a command as the test user with its own HOME. */
export function asTestUser(file: string, args: string[]): [string, string[]] {
  if (!isRoot) return [file, args];
  return ['runuser', ['-u', testUserName, '--', 'env', `HOME=${testUser.home}`, `USER=${testUserName}`, file, ...args]];
}

export function runAsTestUser(file: string, args: string[], options: Options = {}): Promise<Result> {
  const [f, a] = asTestUser(file, args);
  return execa(f, a, { reject: false, cwd: '/tmp', ...options }) as Promise<Result>;
}

/** Runs the built agentpod CLI as the test user. */
export function agentpod(args: string[], options: Options = {}): Promise<Result> {
  return runAsTestUser(process.execPath, [cliPath, ...args], options);
}

export function podmanAsTestUser(args: string[], options: Options = {}): Promise<Result> {
  return runAsTestUser('podman', args, options);
}

/** Names of the test user's containers, running or not, labelled with this run id. */
export async function containersOfRun(runId: string): Promise<string[]> {
  const ps = await podmanAsTestUser(['ps', '-a', '--filter', `label=${LABEL_RUN_ID}=${runId}`, '--format', '{{.Names}}']);
  if (ps.exitCode !== 0) throw new Error(`podman ps failed: ${String(ps.stderr)}`);
  return String(ps.stdout).split('\n').filter(Boolean);
}

// Patch capture. After the agent's container exited (and before it is removed) its filesystem is mounted
// with `podman mount` inside `podman unshare` (how rootless podman exposes a container's storage) and the
// host's git diffs /testbed against the commit the agent started from. No copy of /testbed, no commit of
// the container, no second container: the cost does not grow with the image (vfs storage copies whole
// images on every commit and run), only with the repository git has to look at.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { podman, PODMAN, podmanGlobalArgs } from '../podman/client.js';
import { gitConfigEnv, TESTBED } from './env.js';

/** Caches and build junk that never belong in a patch. */
export const PATCH_EXCLUDES = ['**/__pycache__/**', '**/*.pyc', '**/.pytest_cache/**', '**/*.egg-info/**', '**/node_modules/**'];

const PATHSPEC = ['--', '.', ...PATCH_EXCLUDES.map((glob) => `:(exclude,glob)${glob}`)];

/**
 * The two git commands, run in `repo`: stage everything (new untracked files too, .gitignore'd ones not) but
 * the excluded paths, then diff the index against the base commit (so commits the agent made count too).
 */
export function patchGitCommands(repo: string, baseCommit: string): string[][] {
  return [
    ['-C', repo, 'add', '-A', ...PATHSPEC],
    ['-C', repo, 'diff', '--cached', '--binary', '--no-color', '--no-ext-diff', baseCommit, ...PATHSPEC],
  ];
}

/** git reads no user or system config (an alias or diff setting of the host must not shape the patch). */
export const PATCH_GIT_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  // The mounted tree belongs to the container's uids.
  ...gitConfigEnv([['safe.directory', '*']]),
};

export interface PatchSummary {
  bytes: number;
  files: number;
}

/** Size and files changed; bytes as written (latin1 reads any byte, so non-UTF-8 content counts right). */
export function summarizePatch(patch: Buffer): PatchSummary {
  return { bytes: patch.length, files: patch.toString('latin1').match(/^diff --git /gm)?.length ?? 0 };
}

/** Runs the two git commands in `repo` through `git` (the host's, or inside `podman unshare`) into `outFile`. */
async function writePatch(git: (args: string[], toFile?: string) => Promise<unknown>, repo: string, baseCommit: string, outFile: string): Promise<PatchSummary> {
  const [add, diff] = patchGitCommands(repo, baseCommit);
  await git(add);
  // Straight to the file: a patch is bytes (a latin-1 source file must not go through a UTF-8 string).
  await git(diff, outFile);
  return summarizePatch(readFileSync(outFile));
}

/** Writes the container's /testbed changes since `baseCommit` to `outFile`; the container must have exited. */
export async function capturePatch(containerName: string, baseCommit: string, outFile: string): Promise<PatchSummary> {
  const root = (await podman(['unshare', PODMAN, ...podmanGlobalArgs(), 'mount', containerName])).trim();
  try {
    return await writePatch((args, toFile) => podman(['unshare', 'git', ...args], { env: PATCH_GIT_ENV, ...(toFile ? { stdout: { file: toFile } } : {}) }), `${root}${TESTBED}`, baseCommit, outFile);
  } finally {
    await podman(['unshare', PODMAN, ...podmanGlobalArgs(), 'umount', containerName]);
  }
}

/** The same patch of a host repository agentpod owns (a replay's fresh copy of a work dir: git add -A touches its index). */
export function captureRepoPatch(repo: string, baseCommit: string, outFile: string): Promise<PatchSummary> {
  return writePatch((args, toFile) => execa('git', args, { env: PATCH_GIT_ENV, stdin: 'ignore', ...(toFile ? { stdout: { file: toFile } } : {}) }), repo, baseCommit, outFile);
}

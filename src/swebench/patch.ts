// Patch capture. After the agent's container exited (and before it is removed) its filesystem is mounted
// with `podman mount` inside `podman unshare` (how rootless podman exposes a container's storage) and the
// host's git diffs /testbed against the commit the agent started from. No copy of /testbed, no commit of
// the container, no second container: the cost does not grow with the image (vfs storage copies whole
// images on every commit and run), only with the repository git has to look at.
import { readFileSync } from 'node:fs';
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

/** Writes the container's /testbed changes since `baseCommit` to `outFile`; the container must have exited. */
export async function capturePatch(containerName: string, baseCommit: string, outFile: string): Promise<PatchSummary> {
  const root = (await podman(['unshare', PODMAN, ...podmanGlobalArgs(), 'mount', containerName])).trim();
  try {
    const [add, diff] = patchGitCommands(`${root}${TESTBED}`, baseCommit);
    await podman(['unshare', 'git', ...add], { env: PATCH_GIT_ENV });
    // Straight to the file: a patch is bytes (a latin-1 source file must not go through a UTF-8 string).
    await podman(['unshare', 'git', ...diff], { env: PATCH_GIT_ENV, stdout: { file: outFile } });
  } finally {
    await podman(['unshare', PODMAN, ...podmanGlobalArgs(), 'umount', containerName]);
  }
  return summarizePatch(readFileSync(outFile));
}

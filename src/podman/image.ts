// Making sure an image is there before a run: local lookup, pull with a clear error, and agentpod's
// empty base image (host sharing supplies /usr, /lib, /etc and the rest).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { podman, PodmanError } from './client.js';

export const BASE_IMAGE = 'localhost/agentpod/base:1';

export async function imageExists(image: string): Promise<boolean> {
  try {
    await podman(['image', 'exists', image]);
    return true;
  } catch (e) {
    if (e instanceof PodmanError && e.podmanExitCode === 1) return false;
    throw e;
  }
}

/** Imports the empty base image once; later calls find it. */
export async function ensureBaseImage(): Promise<string> {
  if (await imageExists(BASE_IMAGE)) return BASE_IMAGE;
  const dir = mkdtempSync(join(tmpdir(), 'agentpod-base-'));
  try {
    const tarball = join(dir, 'base.tar');
    await execa('tar', ['--owner=0', '--group=0', '-C', join(dir), '-cf', tarball, '--files-from', '/dev/null']);
    await podman(['import', '--quiet', '--change', 'LABEL agentpod.base=1', tarball, BASE_IMAGE]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return BASE_IMAGE;
}

/** An image present locally, or pulled; a local-only name that is missing, or a failed pull, is a UserError. */
export async function ensureImage(image: string, log: (line: string) => void = () => {}): Promise<void> {
  if (await imageExists(image)) return;
  if (image.startsWith('localhost/')) throw new UserError(`image ${image} not found locally (podman images lists what there is)`);
  log(`pulling ${image} ...`);
  try {
    await podman(['pull', '--quiet', image]);
  } catch (e) {
    const reason = e instanceof PodmanError ? e.stderr.trim().split('\n').pop() : (e as Error).message;
    throw new UserError(`image ${image} is not present and could not be pulled: ${reason}`);
  }
}

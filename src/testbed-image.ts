// Builds a tiny SWE-bench-style image with `podman import`: a root-owned git repo at /testbed and
// /issue.md. Host sharing supplies everything else (/usr, /lib, ...), so nothing else is needed.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { podman } from './podman/client.js';

export interface TestbedImageSpec {
  tag: string;
  /** Files of the /testbed repo, path relative to /testbed → content. */
  files: Record<string, string>;
  /** Contents of /issue.md; omitted when undefined. */
  issue?: string;
}

// No automatic gc or maintenance: with thousands of files git starts it detached after the commit, and it would
// still be writing into .git while the folder is removed (ENOTEMPTY).
const GIT_IDENTITY = ['-c', 'user.name=agentpod', '-c', 'user.email=agentpod@localhost', '-c', 'commit.gpgsign=false', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false'];

export async function buildTestbedImage(spec: TestbedImageSpec): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'agentpod-image-'));
  try {
    const testbed = join(root, 'rootfs', 'testbed');
    for (const [rel, content] of Object.entries(spec.files)) {
      mkdirSync(dirname(join(testbed, rel)), { recursive: true });
      writeFileSync(join(testbed, rel), content);
    }
    if (spec.issue !== undefined) writeFileSync(join(root, 'rootfs', 'issue.md'), spec.issue);
    await execa('git', ['init', '-q', '-b', 'main'], { cwd: testbed });
    await execa('git', [...GIT_IDENTITY, 'add', '-A'], { cwd: testbed });
    await execa('git', [...GIT_IDENTITY, 'commit', '-qm', 'initial'], { cwd: testbed });
    const tarball = join(root, 'rootfs.tar');
    // Owned by uid 0 inside the image, as in real SWE-bench images.
    await execa('tar', ['--owner=0', '--group=0', '-C', join(root, 'rootfs'), '-cf', tarball, '.']);
    const id = (await podman(['import', '--quiet', tarball, spec.tag])).trim();
    return id;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

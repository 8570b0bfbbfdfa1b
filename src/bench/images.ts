// Real-size images: what a user with SWE-rebench images (3–17 GB, ~100k files) should expect from the storage
// driver. Two images — 1 GB and 4 GB, each a Debian rootfs (debootstrap --variant=minbase) plus a root-owned
// /testbed of ~90k small files and one incompressible blob — are imported into the bench user's own store
// (native overlay where `npm run setup` configured it) and into a separate vfs store of the same user
// (podman --root/--runroot/--storage-driver vfs through a wrapper, so the overlay store is not touched).
// For each: the permission fix (`agentpod images fix`), the first keep-id launch of the fixed image and warm
// launches after it (`podman run --rm --network=none --userns=keep-id IMAGE true`). The images are removed afterwards.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from 'execa';
import { isRoot } from '../as-user.js';
import { packageRoot } from '../package-root.js';
import { fixedImageName } from '../swebench/image-name.js';
import type { Bench, BenchFigure } from './figures.js';
import { benchTempDir, benchUser, mustSucceed, runAsBenchUser, type BenchUser } from './launch.js';
import { median, timeMs } from './stats.js';

const CLI = join(packageRoot, 'dist', 'cli.js');
const GB = 1e9;
const TESTBED_FILES = 90_000;

/** The Debian mirror this machine's apt uses (debootstrap takes the same one). */
function debianMirror(): string {
  const sources = '/etc/apt/sources.list.d/debian.sources';
  const fromSources = existsSync(sources) ? /^URIs:\s*(\S+)/m.exec(readFileSync(sources, 'utf8'))?.[1] : undefined;
  return fromSources ?? 'http://deb.debian.org/debian';
}

/** A minimal Debian bookworm root file system in `dir` (as root; ~50 s). */
function debootstrap(dir: string): void {
  execFileSync('nice', ['-n', '10', 'debootstrap', '--variant=minbase', 'bookworm', dir, debianMirror()], { stdio: 'ignore', timeout: 900_000 });
}

/** /testbed (many small files, as a repository checkout has, and a blob) and /issue.md, next to the rootfs. */
function writeTestbed(staging: string, blobBytes: number): void {
  const testbed = join(staging, 'testbed');
  for (let i = 0; i < TESTBED_FILES; i++) {
    const dir = join(testbed, `pkg${Math.floor(i / 1000)}`, `mod${Math.floor(i / 50) % 20}`);
    if (i % 50 === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `m${i}.py`), `# module ${i}\nVALUE = ${i}\n${'x = 1\n'.repeat(i % 300)}`);
  }
  const blob = openSync(join(testbed, 'data.bin'), 'w');
  const chunk = Buffer.alloc(16 << 20);
  for (let left = blobBytes; left > 0; left -= chunk.length) writeSync(blob, randomBytes(Math.min(chunk.length, left)));
  closeSync(blob);
  writeFileSync(join(staging, 'issue.md'), 'bench image\n');
}

interface Store {
  name: 'overlay' | 'vfs';
  /** The podman command of this store. */
  podman: string;
  env: Record<string, string>;
}

/**
 * A vfs store of the bench user's own, beside (not instead of) its usual store: podman's --root, --runroot and
 * --storage-driver on every call, agentpod's included (AGENTPOD_PODMAN names the wrapper). A storage.conf of its
 * own is not enough here: for a rootless user podman 4.3 keeps the graph root and driver its database recorded.
 */
function vfsStore(user: BenchUser, root: string): Store {
  const wrapper = join(root, 'podman-vfs');
  writeFileSync(wrapper, `#!/bin/sh\nexec podman --root ${join(root, 'graph')} --runroot ${join(root, 'run')} --storage-driver vfs "$@"\n`, { mode: 0o755 });
  if (isRoot()) chownSync(wrapper, user.uid, user.gid);
  return { name: 'vfs', podman: wrapper, env: { AGENTPOD_PODMAN: wrapper } };
}

const lastJson = <T>(r: Result) => JSON.parse(String(r.stdout).trim().split('\n').pop()!) as T;

async function storeFigures(user: BenchUser, store: Store, tarball: string, tag: string, sizeText: string, warmRuns: number): Promise<BenchFigure[]> {
  const podman = (args: string[]) => runAsBenchUser(user, store.podman, args, store.env);
  const driver = String((await podman(['info', '--format', '{{.Store.GraphDriverName}}'])).stdout).trim();
  if (driver !== store.name) return [{ name: `images: ${sizeText} on ${store.name}`, value: null, unit: 's', note: `the store is ${driver || 'unavailable'}, not ${store.name}` }];
  mustSucceed('podman import', await runAsBenchUser(user, 'nice', ['-n', '10', store.podman, 'import', '--change', 'CMD ["/bin/bash"]', tarball, tag], store.env, { timeout: 1_800_000 }));
  const fixed = fixedImageName(tag, user.uid, user.gid);
  try {
    const fix = lastJson<{ seconds: number }>(mustSucceed('agentpod images fix', await runAsBenchUser(user, 'nice', ['-n', '10', process.execPath, CLI, 'images', 'fix', tag, '--json'], store.env, { timeout: 1_800_000 })));
    const launch = async () => mustSucceed('podman run', await podman(['run', '--rm', '--network=none', '--userns=keep-id', fixed, 'true']));
    const firstMs = await timeMs(launch);
    const warm: number[] = [];
    for (let i = 0; i < warmRuns; i++) warm.push(await timeMs(launch));
    const label = `${sizeText} on ${store.name}`;
    return [
      { name: `images: permission fix, ${label}`, value: fix.seconds, unit: 's', note: 'agentpod images fix (chown -R /testbed in a temp container + podman commit), cold' },
      { name: `images: first keep-id launch, ${label}`, value: firstMs / 1000, unit: 's', note: 'podman run --rm --network=none --userns=keep-id FIXED true, right after the fix' },
      { name: `images: warm keep-id launch, ${label}`, value: median(warm) / 1000, unit: 's', note: `median of ${warmRuns} more of the same` },
    ];
  } finally {
    await podman(['rmi', '--force', '--ignore', fixed, tag]);
  }
}

export const runImagesBench: Bench = async ({ quick }) => {
  const user = benchUser();
  const work = benchTempDir(user, 'agentpod-bench-images-');
  const rootfs = join(work, 'rootfs');
  const sizes = quick ? [1] : [1, 4];
  const figures: BenchFigure[] = [];
  try {
    const debootstrapMs = await timeMs(async () => debootstrap(rootfs));
    figures.push({ name: 'images: Debian minbase rootfs (debootstrap)', value: debootstrapMs / 1000, unit: 's', note: `from ${debianMirror()}` });
    const vfsRoot = join(work, 'vfs');
    mkdirSync(vfsRoot);
    if (isRoot()) chownSync(vfsRoot, user.uid, user.gid);
    const stores: Store[] = [{ name: 'overlay', podman: 'podman', env: {} }, vfsStore(user, vfsRoot)];
    for (const gb of sizes) {
      const staging = join(work, `staging-${gb}`);
      const rootfsBytes = Number(execFileSync('du', ['-sb', rootfs], { encoding: 'utf8' }).split('\t')[0]);
      writeTestbed(staging, Math.max(0, gb * GB - rootfsBytes - 250e6));
      const tarball = join(work, `image-${gb}g.tar`);
      execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-cf', tarball, '-C', rootfs, '.', '-C', staging, 'testbed', 'issue.md']);
      rmSync(staging, { recursive: true, force: true });
      if (isRoot()) chownSync(tarball, user.uid, user.gid);
      const files = Number(execFileSync('bash', ['-c', `tar -tf ${tarball} | wc -l`], { encoding: 'utf8' }).trim());
      const sizeText = `${gb} GB / ${Math.round(files / 1000)}k files`;
      const tag = `localhost/agentpod-bench-images/${gb}g-${randomBytes(3).toString('hex')}:1`;
      for (const store of stores) {
        const measured = await storeFigures(user, store, tarball, tag, sizeText, store.name === 'vfs' ? 2 : 3);
        // As they come: a run cut short (the 4 GB vfs part takes long on a busy machine) still shows these.
        for (const f of measured) process.stderr.write(`bench images: ${f.name}: ${f.value === null ? 'n/a' : f.value.toFixed(2)} ${f.unit}${f.note ? ` (${f.note})` : ''}\n`);
        figures.push(...measured);
      }
      rmSync(tarball, { force: true });
    }
    return figures;
  } finally {
    // The vfs store's layers belong to the user's subordinate ids: root removes them (they are the bench's own).
    rmSync(work, { recursive: true, force: true });
  }
};

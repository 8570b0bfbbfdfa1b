// A built instance as tests, the bench and the demo use it: the image (imported from the world-readable
// cache into the calling user's podman store when missing), its two task records and its patch variants.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { PODMAN } from '../podman/client.js';
import type { BuildManifest } from './build.js';
import { CACHE_FILES, DEFAULT_INSTANCE, instanceCacheDir, instanceImageName, loadRecipe, recipeHash, RECIPE_FILES } from './recipe.js';

export interface PatchVariant {
  patch: string;
  /** What the patch does, in a sentence. */
  about: string;
}

export interface Instance {
  /** agentpod's name of the instance, e.g. toolz-1. */
  id: string;
  /** The records' instance_id. */
  instanceId: string;
  /** localhost/agentpod/instance-<id>:<recipe hash prefix>, in the caller's podman store once ensured. */
  image: string;
  recipeHash: string;
  cacheDir: string;
  baseCommit: string;
  /** The test files of the test patch (the test command's arguments). */
  testFiles: string[];
  failToPass: string[];
  passToPass: string[];
  /** The records as parsed JSON objects, and the files holding them (one JSON line each). */
  records: { swebench: Record<string, unknown>; swerebench: Record<string, unknown> };
  recordFiles: { swebench: string; swerebench: string };
  patches: {
    gold: string;
    test: string;
    /** Fixes sized sequences only: exactly `fails` fail (FAIL_TO_PASS partly passes). */
    partial: PatchVariant & { fails: string[] };
    /** The gold fix plus a change that breaks exactly the PASS_TO_PASS tests `fails`. */
    breaksPassToPass: PatchVariant & { fails: string[] };
    /** The test `hangs` never finishes. */
    hangs: PatchVariant & { hangs: string };
    /** Fails every apply fallback of the harness and is not "already applied". */
    doesNotApply: PatchVariant;
  };
  manifest: BuildManifest;
}

/** The cached build of instance `id`; one clear line when it has not been built for the current recipe. */
export function loadInstance(id = DEFAULT_INSTANCE): Instance {
  const recipe = loadRecipe(id);
  const hash = recipeHash(id);
  const cacheDir = instanceCacheDir(hash);
  const manifestFile = join(cacheDir, CACHE_FILES.manifest);
  if (!existsSync(manifestFile)) throw new UserError(`instance image ${id} is not built for recipe ${hash.slice(0, 12)} (no ${manifestFile}): run npm run setup as root to build it`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BuildManifest;
  const read = (rel: string) => readFileSync(join(cacheDir, rel), 'utf8');
  const patch = (name: keyof typeof recipe.variants) => ({ patch: read(join(CACHE_FILES.patches, recipe.variants[name].file)), about: recipe.variants[name].about });
  const recordFiles = { swebench: join(cacheDir, CACHE_FILES.swebench), swerebench: join(cacheDir, CACHE_FILES.swerebench) };
  return {
    id,
    instanceId: recipe.instanceId,
    image: instanceImageName(id, hash),
    recipeHash: hash,
    cacheDir,
    baseCommit: manifest.baseCommit,
    testFiles: manifest.testFiles,
    failToPass: manifest.failToPass,
    passToPass: manifest.passToPass,
    records: { swebench: JSON.parse(read(CACHE_FILES.swebench)), swerebench: JSON.parse(read(CACHE_FILES.swerebench)) },
    recordFiles,
    patches: {
      gold: read(join(CACHE_FILES.patches, RECIPE_FILES.gold)),
      test: read(join(CACHE_FILES.patches, RECIPE_FILES.testPatch)),
      partial: { ...patch('partial'), fails: recipe.variants.partial.fails ?? [] },
      breaksPassToPass: { ...patch('breaksPassToPass'), fails: recipe.variants.breaksPassToPass.fails ?? [] },
      hangs: { ...patch('hangs'), hangs: recipe.variants.hangs.hangs ?? '' },
      doesNotApply: patch('doesNotApply'),
    },
    manifest,
  };
}

/** Runs a command as the user whose podman store gets the image; the default is this process. */
export type CommandRunner = (file: string, args: string[]) => Promise<{ exitCode?: number; stdout?: unknown; stderr?: unknown }>;

const runHere: CommandRunner = (file, args) => execa(file, args, { reject: false, cwd: '/', stdin: 'ignore' });

/**
 * Imports the cached rootfs unless the image is there, under a per-user lock so concurrent callers (test
 * files, batch trials) import once. $1 image, $2 tarball, $3 podman, then the import's own arguments.
 */
const IMPORT_SCRIPT = `exec flock "/tmp/agentpod-instance-import-$(id -u).lock" sh -c '
image=$1 tarball=$2 podman=$3
shift 3
"$podman" image exists "$image" && exit 0
exec "$podman" import --quiet "$@" "$tarball" "$image" >/dev/null
' sh "$@"`;

/** The instance with its image in the caller's store (imported from the cache when missing). */
export async function ensureInstanceImage(id = DEFAULT_INSTANCE, opts: { log?: (line: string) => void; run?: CommandRunner } = {}): Promise<Instance> {
  const instance = loadInstance(id);
  const run = opts.run ?? runHere;
  const exists = await run(PODMAN, ['image', 'exists', instance.image]);
  if (exists.exitCode === 0) return instance;
  const tarball = join(instance.cacheDir, CACHE_FILES.tarball);
  opts.log?.(`importing ${instance.image} from ${tarball} (podman import, once per user)`);
  const t0 = performance.now();
  const changes = instance.manifest.imageChanges.flatMap((change) => ['--change', change]);
  const r = await run('sh', ['-c', IMPORT_SCRIPT, 'sh', instance.image, tarball, PODMAN, ...changes]);
  if (r.exitCode !== 0) throw new UserError(`podman import of ${tarball} as ${instance.image} failed (exit ${r.exitCode}): ${String(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  opts.log?.(`imported ${instance.image} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return instance;
}

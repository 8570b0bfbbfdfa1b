// An instance recipe: instances/<id>/ holds what makes a realistic SWE-bench-style instance (recipe.json, the
// diff that puts the bug into the released source, the test patch, the gold patch, patch variants and the
// problem statement). Its hash — those files plus the builder's own source — names the built image and its cache.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '../errors.js';
import { packageRoot } from '../package-root.js';

export const DEFAULT_INSTANCE = 'toolz-1';

export interface VariantRecipe {
  file: string;
  about: string;
  /** Tests that fail with this patch (all others pass). */
  fails?: string[];
  /** The test that never finishes with this patch. */
  hangs?: string;
}

export interface InstanceRecipe {
  /** agentpod's name: instances/<id>/, the image instance-<id>. */
  id: string;
  /** The SWE-bench instance_id of the records. */
  instanceId: string;
  repo: string;
  version: string;
  license: string;
  about: string;
  createdAt: string;
  debian: { suite: string; packages: string[]; source: string; sourceVersion: string; orig: string; origSha256: string };
  base: { author: string; email: string; date: string; message: string };
  /** The install step the eval script repeats (SWE-bench's `install`). */
  install: string;
  /** The SWE-bench v5 test command; the test files of the test patch follow it. */
  testCmd: string;
  /** install_config.test_cmd of the SWE-rebench record. */
  rebenchTestCmd: string;
  logParser: string;
  failToPass: string[];
  variants: { partial: VariantRecipe; breaksPassToPass: VariantRecipe; hangs: VariantRecipe; doesNotApply: VariantRecipe };
}

/** The files of a recipe besides recipe.json, relative to its folder. */
export const RECIPE_FILES = { base: 'base.diff', testPatch: 'test-patch.diff', gold: 'gold.diff', problemStatement: 'problem_statement.md' } as const;

/** The builder's sources: a change to how an instance is built or its records are written is a new recipe. */
const BUILDER_SOURCES = ['src/instances/build.ts', 'src/instances/records.ts', 'src/instances/rootfs-scripts.ts'];

export function recipeDir(id: string): string {
  return join(packageRoot, 'instances', id);
}

export function loadRecipe(id: string): InstanceRecipe {
  const file = join(recipeDir(id), 'recipe.json');
  let recipe: InstanceRecipe;
  try {
    recipe = JSON.parse(readFileSync(file, 'utf8')) as InstanceRecipe;
  } catch (e) {
    throw new UserError(`instance ${id}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (recipe.id !== id) throw new UserError(`${file}: "id" is ${JSON.stringify(recipe.id)}, expected ${JSON.stringify(id)}`);
  return recipe;
}

export function readRecipeFile(id: string, rel: string): string {
  return readFileSync(join(recipeDir(id), rel), 'utf8');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** sha256 over every recipe file and the builder's sources, each as its path, NUL, its bytes, NUL. */
export function recipeHash(id: string): string {
  const files = [...filesUnder(recipeDir(id)), ...BUILDER_SOURCES.map((f) => join(packageRoot, f))];
  const named = files.map((f) => ({ name: relative(packageRoot, f), file: f })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const hash = createHash('sha256');
  for (const { name, file } of named) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new UserError(`instance ${id}: cannot read ${file} for the recipe hash: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    hash.update(name).update('\0').update(bytes).update('\0');
  }
  return hash.digest('hex');
}

export function instanceImageName(id: string, hash: string): string {
  return `localhost/agentpod/instance-${id}:${hash.slice(0, 12)}`;
}

/** Built instances, world-readable so every user can import them: $AGENTPOD_INSTANCE_CACHE or /var/cache. */
export function instanceCacheRoot(): string {
  return process.env.AGENTPOD_INSTANCE_CACHE || '/var/cache/agentpod/instances';
}

export function instanceCacheDir(hash: string): string {
  return join(instanceCacheRoot(), hash);
}

/** What a built instance's cache folder holds. */
export const CACHE_FILES = {
  tarball: 'rootfs.tar.zst',
  manifest: 'instance.json',
  swebench: 'swebench.jsonl',
  swerebench: 'swerebench.jsonl',
  patches: 'patches',
} as const;

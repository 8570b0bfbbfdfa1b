// Builds a realistic instance as root (debootstrap and chroot need it) into the instance cache: a Debian
// rootfs, the released source of a real project at /testbed (root-owned git repo, the bug at the base commit),
// a venv at SWE-bench's /opt/miniconda3/envs/testbed with a conda stand-in, then validation by really running
// the tests (no patch, gold, each variant), the tarball, the records and a manifest. Nothing is half-written:
// the build happens in a temp folder beside the cache entry and is renamed into place at the end.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { CACHE_FILES, instanceCacheDir, instanceCacheRoot, instanceImageName, loadRecipe, readRecipeFile, recipeDir, recipeHash, RECIPE_FILES, type InstanceRecipe } from './recipe.js';
import { swebenchRecord, swerebenchRecord, testFilesOf, v5EvalScript } from './records.js';
import { BASE_COMMIT, BUILD_DIR, CONDA_ACTIVATE, CONDA_BIN, CONDA_ROOT, CONDA_SH, FETCH_SOURCE, NEVER_APPLIES, OUTCOMES_PLUGIN, RESET_TESTBED, RUN_CASE, TEST_ENV_SETUP } from './rootfs-scripts.js';

const CHROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Debian's pytest and the Python packages it needs: copied into the venv, then purged from the system. */
const PYTEST_DEBS = ['python3-pytest', 'python3-attr', 'python3-iniconfig', 'python3-more-itertools', 'python3-packaging', 'python3-pluggy', 'python3-py'];
/** The image's config, as SWE-bench's Dockerfiles set it (base: conda's bin on PATH; instance: WORKDIR, CMD). */
const IMAGE_CHANGES = ['ENV PATH=/opt/miniconda3/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'WORKDIR /testbed', 'CMD ["/bin/bash"]'];
/** A hanging test is declared hung after this long (the whole suite takes about a second). */
const HANG_TIMEOUT_S = 10;

export interface BuildManifest {
  id: string;
  instanceId: string;
  recipeHash: string;
  image: string;
  baseCommit: string;
  testFiles: string[];
  failToPass: string[];
  passToPass: string[];
  builtAt: string;
  buildSeconds: number;
  phaseSeconds: Record<string, number>;
  rootfsBytes: number;
  tarballBytes: number;
  debianMirror: string;
  /** Versions inside the image, for the record. */
  python: string;
  pytest: string;
  git: string;
  /** `podman import --change` values: the image's config and labels. */
  imageChanges: string[];
}

/** The deb822 .sources and one-line sources.list texts apt uses → the first URI that serves `suite`. */
export function debianMirror(texts: string[], suite: string): string | null {
  for (const text of texts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, 'mi'))?.[1].trim().split(/\s+/) ?? [];
      if (field('Types').includes('deb') && field('Suites').includes(suite) && field('URIs')[0]) return field('URIs')[0];
    }
    for (const line of text.split('\n')) {
      const m = line.match(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
      if (m && m[2] === suite) return m[1];
    }
  }
  return null;
}

function hostMirror(suite: string): string {
  if (process.env.AGENTPOD_DEBIAN_MIRROR) return process.env.AGENTPOD_DEBIAN_MIRROR;
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').filter((f) => /\.(list|sources)$/.test(f)).map((f) => join('/etc/apt/sources.list.d', f)) : [])];
  const texts = files.filter(existsSync).map((f) => readFileSync(f, 'utf8'));
  return debianMirror(texts, suite) ?? 'http://deb.debian.org/debian';
}

// ---- the build

type Outcome = 'passed' | 'failed' | 'skipped' | 'hung';

/** The JSON lines of the outcomes plugin → each test's outcome; a test that started and never reported is hung. */
export function outcomesOf(jsonl: string): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  for (const line of jsonl.split('\n').filter(Boolean)) {
    const event = JSON.parse(line) as { start?: string; test?: string; collect?: string; when?: string; outcome?: string };
    if (event.start !== undefined) outcomes.set(event.start, 'hung');
    else if (event.collect !== undefined) outcomes.set(event.collect, 'failed');
    else if (event.test !== undefined) {
      const before = outcomes.get(event.test);
      if (event.outcome === 'failed') outcomes.set(event.test, 'failed');
      else if (event.outcome === 'skipped' && before !== 'failed') outcomes.set(event.test, 'skipped');
      else if (event.when === 'call' && event.outcome === 'passed' && before === 'hung') outcomes.set(event.test, 'passed');
    }
  }
  return outcomes;
}

/** Runs bash in the rootfs: own mount and pid namespaces with a fresh /proc, no network unless asked. */
async function inChroot(rootfs: string, what: string, script: string, opts: { args?: string[]; env?: Record<string, string>; network?: boolean; reject?: boolean } = {}) {
  const env = Object.entries({ PATH: CHROOT_PATH, HOME: '/root', LANG: 'C.UTF-8', ...opts.env }).map(([k, v]) => `${k}=${v}`);
  const argv = ['--mount', '--pid', '--fork', ...(opts.network ? [] : ['--net']), `--mount-proc=${join(rootfs, 'proc')}`, 'chroot', rootfs, '/usr/bin/env', '-i', ...env, '/bin/bash', '-c', script, 'bash', ...(opts.args ?? [])];
  const r = await execa('unshare', argv, { reject: false, stdin: 'ignore', all: true });
  if (opts.reject !== false && r.exitCode !== 0) throw new UserError(`instance build: ${what} failed (exit ${r.exitCode}): ${String(r.all).trim().split('\n').slice(-6).join(' | ')}`);
  return r;
}

async function timed<T>(phases: Record<string, number>, name: string, log: (line: string) => void, step: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await step();
  phases[name] = Math.round((performance.now() - t0) / 100) / 10;
  log(`  ${name}: ${phases[name]} s`);
  return result;
}

interface CaseResult {
  exitCode: number;
  outcomes: Map<string, Outcome>;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new UserError(`instance build: validation failed: ${message}`);
}

const failing = (outcomes: Map<string, Outcome>) => [...outcomes].filter(([, o]) => o !== 'passed').map(([t, o]) => `${t} ${o}`);

/** Runs every validation case; returns PASS_TO_PASS (passing without the gold patch and with it). */
async function validate(rootfs: string, recipe: InstanceRecipe, testFiles: string[]): Promise<string[]> {
  let n = 0;
  const run = async (what: string, patch: string | null, mode: { eval: true } | { command: string }): Promise<CaseResult> => {
    const outcomesFile = `${BUILD_DIR}/outcomes-${n++}.jsonl`;
    const env = {
      AGENTPOD_PATCH: patch === null ? '' : `${BUILD_DIR}/${patch}`,
      AGENTPOD_OUTCOMES: outcomesFile,
      AGENTPOD_MODE: 'eval' in mode ? 'eval' : 'command',
      AGENTPOD_COMMAND: 'command' in mode ? mode.command : '',
      AGENTPOD_TIMEOUT: String(HANG_TIMEOUT_S),
    };
    const r = await inChroot(rootfs, what, RUN_CASE, { env, reject: false });
    const code = r.exitCode ?? -1;
    if (code >= 90 && code <= 92) throw new UserError(`instance build: ${what}: a patch did not apply (exit ${r.exitCode}): ${String(r.all).trim().split('\n').slice(-4).join(' | ')}`);
    const file = join(rootfs, outcomesFile);
    const outcomes = outcomesOf(existsSync(file) ? readFileSync(file, 'utf8') : '');
    check(outcomes.size > 0, `${what}: no test ran: ${String(r.all).trim().split('\n').slice(-4).join(' | ')}`);
    return { exitCode: code, outcomes };
  };
  const tests = `${recipe.testCmd} ${testFiles.join(' ')}`;
  const f2p = recipe.failToPass;

  const before = await run('the eval script without a patch', null, { eval: true });
  for (const t of f2p) check(before.outcomes.get(t) === 'failed', `without a patch, FAIL_TO_PASS ${t} is ${before.outcomes.get(t) ?? 'missing'}, not failed`);
  const others = [...before.outcomes].filter(([t]) => !f2p.includes(t));
  check(others.every(([, o]) => o === 'passed'), `without a patch, tests other than FAIL_TO_PASS fail: ${failing(new Map(others)).join(', ')}`);

  const gold = await run('the eval script with the gold patch', RECIPE_FILES.gold, { eval: true });
  check(failing(gold.outcomes).length === 0, `with the gold patch: ${failing(gold.outcomes).join(', ')}`);
  for (const t of f2p) check(gold.outcomes.get(t) === 'passed', `with the gold patch, FAIL_TO_PASS ${t} is ${gold.outcomes.get(t) ?? 'missing'}`);
  const passToPass = others.map(([t]) => t).filter((t) => gold.outcomes.get(t) === 'passed');
  check(passToPass.length === others.length, 'some test passes without the gold patch but is missing with it');

  const rebench = await run('the SWE-rebench test command with the gold patch', RECIPE_FILES.gold, { command: `${recipe.rebenchTestCmd} ${testFiles.join(' ')}` });
  check(failing(rebench.outcomes).length === 0 && rebench.outcomes.size === gold.outcomes.size, `the SWE-rebench test command with the gold patch: ${failing(rebench.outcomes).join(', ') || `${rebench.outcomes.size} tests, not ${gold.outcomes.size}`}`);

  for (const name of ['partial', 'breaksPassToPass'] as const) {
    const v = recipe.variants[name];
    const r = await run(`variant ${name}`, v.file, { command: tests });
    const got = failing(r.outcomes);
    const want = (v.fails ?? []).map((t) => `${t} failed`);
    check(got.length === want.length && want.every((w) => got.includes(w)), `variant ${name}: expected exactly ${want.join(', ')} to fail, got ${got.join(', ') || 'none'}`);
  }

  const hangs = recipe.variants.hangs;
  const hung = await run('variant hangs', hangs.file, { command: tests });
  check(hung.exitCode === 124, `variant hangs: the tests ended by themselves (exit ${hung.exitCode})`);
  check(hung.outcomes.get(hangs.hangs!) === 'hung', `variant hangs: ${hangs.hangs} is ${hung.outcomes.get(hangs.hangs!) ?? 'missing'}, not hung`);

  const never = await inChroot(rootfs, 'variant doesNotApply', NEVER_APPLIES, { env: { AGENTPOD_PATCH: `${BUILD_DIR}/${recipe.variants.doesNotApply.file}` }, reject: false });
  check(never.exitCode === 0, `variant doesNotApply: ${String(never.all).trim()}`);
  return passToPass;
}

function writeFile(file: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

/** The conda stand-in (shell part, bin/activate, bin/conda, the base env's python) and SWE-bench's .bashrc line. */
function writeCondaStandIn(rootfs: string): void {
  writeFile(join(rootfs, CONDA_ROOT, 'etc/profile.d/conda.sh'), CONDA_SH);
  writeFile(join(rootfs, CONDA_ROOT, 'bin/activate'), CONDA_ACTIVATE);
  writeFile(join(rootfs, CONDA_ROOT, 'bin/conda'), CONDA_BIN, 0o755);
  // conda's base env has a python of its own, without the project's packages: the system's here.
  for (const name of ['python', 'python3']) symlinkSync('/usr/bin/python3', join(rootfs, CONDA_ROOT, 'bin', name));
  const bashrc = join(rootfs, 'root/.bashrc');
  writeFileSync(bashrc, `${existsSync(bashrc) ? readFileSync(bashrc, 'utf8') : ''}\nsource ${CONDA_ROOT}/etc/profile.d/conda.sh && conda activate testbed\n`);
}

/** What an image needs no copy of: package lists and caches, docs but their copyright, man pages, translations. */
async function slimRootfs(rootfs: string): Promise<void> {
  for (const dir of ['var/lib/apt/lists', 'var/cache/apt', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'tmp', 'var/tmp', 'root/.cache']) {
    const path = join(rootfs, dir);
    if (!existsSync(path)) continue;
    for (const entry of readdirSync(path)) if (entry !== 'partial' || dir !== 'var/lib/apt/lists') rmSync(join(path, entry), { recursive: true, force: true });
  }
  await execa('find', [join(rootfs, 'usr/share/doc'), '-type', 'f', '!', '-name', 'copyright', '-delete']);
  await execa('find', [join(rootfs, 'usr/share/doc'), '-mindepth', '1', '-type', 'd', '-empty', '-delete']);
  // The build host's resolver and name: podman supplies its own at run time.
  writeFileSync(join(rootfs, 'etc/resolv.conf'), '');
  writeFileSync(join(rootfs, 'etc/hostname'), 'localhost\n');
}

async function duBytes(path: string): Promise<number> {
  return Number((await execa('du', ['-sb', path])).stdout.split(/\s/)[0]);
}

/**
 * Builds instance `id` into the cache unless it is there (or `rebuild`); returns its manifest. The caller holds
 * the cache's build lock (scripts/setup.sh runs it under flock), so temp folders of other builds are leftovers.
 */
export async function buildInstance(id: string, opts: { log: (line: string) => void; rebuild?: boolean }): Promise<{ manifest: BuildManifest; built: boolean }> {
  const { log } = opts;
  const recipe = loadRecipe(id);
  const hash = recipeHash(id);
  const final = instanceCacheDir(hash);
  const manifestFile = join(final, CACHE_FILES.manifest);
  if (existsSync(manifestFile) && !opts.rebuild) return { manifest: JSON.parse(readFileSync(manifestFile, 'utf8')) as BuildManifest, built: false };
  if (process.getuid?.() !== 0) throw new UserError(`building instance ${id} needs root (debootstrap, chroot): run npm run setup as root`);

  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const image = instanceImageName(id, hash);
  mkdirSync(instanceCacheRoot(), { recursive: true, mode: 0o755 });
  chmodSync(instanceCacheRoot(), 0o755);
  for (const entry of readdirSync(instanceCacheRoot())) {
    if (entry.startsWith('.build-')) {
      log(`removing ${entry}, left by an interrupted build`);
      rmSync(join(instanceCacheRoot(), entry), { recursive: true, force: true });
    }
  }
  const work = mkdtempSync(join(instanceCacheRoot(), `.build-${hash.slice(0, 12)}-`));
  const rootfs = join(work, 'rootfs');
  try {
    const { suite, packages, source, sourceVersion, orig, origSha256 } = recipe.debian;
    const mirror = hostMirror(suite);
    const testPatch = readRecipeFile(id, RECIPE_FILES.testPatch);
    const testFiles = testFilesOf(testPatch);
    log(`building instance ${id} as ${image} in ${work} (Debian ${suite} from ${mirror})`);
    await timed(phases, 'debootstrap', log, async () => {
      const r = await execa('debootstrap', ['--variant=minbase', `--include=${packages.join(',')}`, suite, rootfs, mirror], { reject: false, all: true });
      if (r.exitCode !== 0) throw new UserError(`instance build: debootstrap failed (exit ${r.exitCode}): ${String(r.all).trim().split('\n').slice(-4).join(' | ')}`);
    });
    const buildDir = join(rootfs, BUILD_DIR);
    mkdirSync(join(buildDir, 'variants'), { recursive: true });
    for (const rel of [RECIPE_FILES.base, RECIPE_FILES.testPatch, RECIPE_FILES.gold, ...Object.values(recipe.variants).map((v) => v.file)]) copyFileSync(join(recipeDir(id), rel), join(buildDir, rel));
    writeFileSync(join(buildDir, 'agentpod_outcomes.py'), OUTCOMES_PLUGIN);

    await timed(phases, 'source', log, () => inChroot(rootfs, `apt-get source ${source}=${sourceVersion}`, FETCH_SOURCE, { args: [source, sourceVersion, orig, origSha256, mirror, suite], network: true }));
    const baseCommit = await timed(phases, 'base commit', log, async () => {
      const r = await inChroot(rootfs, 'the base commit', BASE_COMMIT, { args: [recipe.base.author, recipe.base.email, recipe.base.date, recipe.base.message] });
      return String(r.stdout).trim().split('\n').pop()!;
    });
    writeCondaStandIn(rootfs);
    const versions = await timed(phases, 'test env', log, async () => {
      const r = await inChroot(rootfs, 'the test env', TEST_ENV_SETUP, { args: PYTEST_DEBS, env: { AGENTPOD_INSTALL: recipe.install } });
      const lines = String(r.stdout).trim().split('\n');
      const [python, pytest] = lines[lines.length - 2].split(' ');
      return { python, pytest, git: lines[lines.length - 1].replace(/^git version /, '') };
    });

    const built = {
      image,
      baseCommit,
      problemStatement: readRecipeFile(id, RECIPE_FILES.problemStatement),
      testPatch,
      goldPatch: readRecipeFile(id, RECIPE_FILES.gold),
      passToPass: [] as string[],
    };
    writeFileSync(join(buildDir, 'eval.sh'), v5EvalScript({ baseCommit, testPatch, install: recipe.install, testCmd: recipe.testCmd }));
    built.passToPass = await timed(phases, 'validation', log, () => validate(rootfs, recipe, testFiles));
    await inChroot(rootfs, 'the reset of /testbed', RESET_TESTBED);

    const tarball = join(work, CACHE_FILES.tarball);
    const rootfsBytes = await timed(phases, 'tarball', log, async () => {
      await slimRootfs(rootfs);
      const bytes = await duBytes(rootfs);
      // Numeric owners as built (root, _apt…); no device nodes (rootless podman cannot create them; it mounts /dev).
      await execa('tar', ['--numeric-owner', '--zstd', '-C', rootfs, '--exclude=./dev/*', '--exclude=./proc/*', '--exclude=./sys/*', '-cf', tarball, '.']);
      return bytes;
    });
    rmSync(rootfs, { recursive: true, force: true });

    const patchesDir = join(work, CACHE_FILES.patches);
    for (const rel of [RECIPE_FILES.testPatch, RECIPE_FILES.gold, ...Object.values(recipe.variants).map((v) => v.file)]) {
      mkdirSync(dirname(join(patchesDir, rel)), { recursive: true });
      copyFileSync(join(recipeDir(id), rel), join(patchesDir, rel));
    }
    writeFileSync(join(work, CACHE_FILES.swebench), `${JSON.stringify(swebenchRecord(recipe, built))}\n`);
    writeFileSync(join(work, CACHE_FILES.swerebench), `${JSON.stringify(swerebenchRecord(recipe, built))}\n`);
    const manifest: BuildManifest = {
      id,
      instanceId: recipe.instanceId,
      recipeHash: hash,
      image,
      baseCommit,
      testFiles,
      failToPass: recipe.failToPass,
      passToPass: built.passToPass,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((performance.now() - t0) / 100) / 10,
      phaseSeconds: phases,
      rootfsBytes,
      tarballBytes: statSync(tarball).size,
      debianMirror: mirror,
      ...versions,
      imageChanges: [...IMAGE_CHANGES, `LABEL agentpod.instance=${id}`, `LABEL agentpod.instance-recipe=${hash}`],
    };
    writeFileSync(join(work, CACHE_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    await execa('chmod', ['-R', 'u=rwX,go=rX', work]);
    rmSync(final, { recursive: true, force: true });
    renameSync(work, final);
    return { manifest, built: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

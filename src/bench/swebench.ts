// SWE-bench figures. (1) A warm launch, `agentpod swebench --image X` with the fixed image cached, against
// the same `podman run` of the fixed image by hand (the argv `agentpod swebench --dry-run --json` prints,
// fresh names each time), alternated N times. (2) The permission fix of images with 1k, 10k and 50k files
// in /testbed and of the realistic instance (docs/instances.md), against the fix's container doing nothing
// (what starting a container of that image costs).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from 'execa';
import { parseScript } from '../mockapi/script.js';
import { startMockApi } from '../mockapi/server.js';
import { packageRoot } from '../package-root.js';
import { claudeProjectDirName } from '../paths.js';
import { PODMAN } from '../podman/client.js';
import { helperRunArgv } from '../swebench/helper-container.js';
import { fixedImageName } from '../swebench/image-name.js';
import { formatBytes } from '../units.js';
import type { Bench, BenchFigure } from './figures.js';
import { benchTempDir, benchUser, mustSucceed, runAsBenchUser, timedRawRun, type BenchUser } from './launch.js';
import { alternate, median, ratio, timeMs } from './stats.js';
import { buildTestbedImageAs, calcFixScript, calcImageSpec, instanceAs, manyFilesImageSpec } from './test-images.js';

/** Fixes the seeded bug: the warm launch includes a real patch capture. */
const SCRIPT = calcFixScript(false);

const CLI = join(packageRoot, 'dist', 'cli.js');

const lastJson = <T>(r: Result) => JSON.parse(String(r.stdout).trim().split('\n').pop()!) as T;

async function warmLaunchFigure(user: BenchUser, runs: number, tag: string): Promise<BenchFigure> {
  const api = await startMockApi(parseScript(SCRIPT, 'swebench bench script'));
  const env = { ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-agentpod-bench', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
  const dataDir = benchTempDir(user, 'agentpod-bench-swe-');
  const sessions: string[] = [];
  try {
    const launch = async () => sessions.push(lastJson<{ sessionId: string }>(mustSucceed('agentpod swebench', await runAsBenchUser(user, process.execPath, [CLI, 'swebench', '--data-dir', dataDir, '--image', tag, '--json'], env))).sessionId);
    const raw = async () => {
      const dry = mustSucceed('agentpod swebench --dry-run', await runAsBenchUser(user, process.execPath, [CLI, 'swebench', '--data-dir', dataDir, '--image', tag, '--dry-run', '--json'], env));
      const [podmanBin, ...argv] = lastJson<{ argv: string[] }>(dry).argv;
      sessions.push(argv[argv.indexOf('--session-id') + 1]);
      return timedRawRun(user, podmanBin, argv, env, join(dataDir, 'raw-stdout.jsonl'));
    };
    // Warm-up, not counted: the first launch makes the fixed image and caches /issue.md.
    await launch();
    await raw();
    const { subjectMs: agentpodMs, baselineMs: rawMs } = await alternate(runs, launch, raw);
    const value = median(agentpodMs);
    const baseline = median(rawMs);
    return {
      name: 'swebench: warm launch (fixed image cached) vs raw podman run --rm of the fixed image',
      value: Math.round(value),
      unit: 'ms',
      baseline: Math.round(baseline),
      ratio: ratio(value, baseline),
      note: `median of ${runs} alternated runs each, 2-turn scripted agent editing /testbed; overhead ${Math.round(value - baseline)} ms: node start, fixed-image lookup (2 image inspects), the run's rows and folder, patch capture (podman mount + git add + git diff in podman unshare), container removal`,
    };
  } finally {
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
    // The bench's own traces in ~/.claude/projects/-testbed, and nothing else there.
    const projectDir = join(user.home, '.claude', 'projects', claudeProjectDirName('/testbed'));
    for (const id of sessions) {
      rmSync(join(projectDir, `${id}.jsonl`), { force: true });
      rmSync(join(projectDir, id), { recursive: true, force: true });
    }
  }
}

/** The permission fix of image `tag` (in the bench user's store), `what` naming it in the figure. */
async function fixFigure(user: BenchUser, what: string, samples: number, tag: string): Promise<BenchFigure> {
  const fixed = fixedImageName(tag, user.uid, user.gid);
  // The fix's own container, minus the chown and the commit.
  const bareRun = helperRunArgv({ image: tag, user: '0:0', command: ['true'] });
  const fixMs: number[] = [];
  const startMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    // A cold fix each time: no fixed image to reuse.
    await runAsBenchUser(user, PODMAN, ['rmi', '--ignore', fixed], {});
    const r = mustSucceed('agentpod images fix', await runAsBenchUser(user, process.execPath, [CLI, 'images', 'fix', tag, '--json'], {}));
    fixMs.push(lastJson<{ seconds: number }>(r).seconds * 1000);
    startMs.push(await timeMs(async () => mustSucceed('podman run --rm', await runAsBenchUser(user, PODMAN, bareRun, {}))));
  }
  const value = median(fixMs);
  const baseline = median(startMs);
  return {
    name: `swebench: permission fix, ${what}`,
    value: Math.round(value),
    unit: 'ms',
    baseline: Math.round(baseline),
    ratio: ratio(value, baseline),
    note: `median of ${samples}; chown -R in a temp container + podman commit, as timed by agentpod images fix; baseline: the fix's container with \`true\` instead of the chown, and no commit`,
  };
}

export const runSwebenchBench: Bench = async ({ quick }) => {
  const user = benchUser();
  const prefix = `localhost/agentpod-bench-${randomBytes(3).toString('hex')}`;
  const calc = `${prefix}/calc:1`;
  const sizes = quick ? [1000, 10_000] : [1000, 10_000, 50_000];
  const sizeTag = (n: number) => `${prefix}/files-${n}:1`;
  const images = [calc, ...sizes.map(sizeTag)];
  try {
    await buildTestbedImageAs(user, calcImageSpec(calc, true));
    const figures = [await warmLaunchFigure(user, quick ? 3 : 7, calc)];
    for (const n of sizes) {
      await buildTestbedImageAs(user, manyFilesImageSpec(sizeTag(n), n));
      figures.push(await fixFigure(user, `${n} files in /testbed`, quick ? 1 : 3, sizeTag(n)));
    }
    // The realistic instance stays in the store: the tests and the demo use it too.
    const instance = await instanceAs(user);
    figures.push(await fixFigure(user, `realistic instance ${instance.id} (Debian rootfs ${formatBytes(instance.manifest.rootfsBytes)}, a real project in /testbed)`, quick ? 1 : 3, instance.image));
    return figures;
  } finally {
    await runAsBenchUser(user, PODMAN, ['rmi', '--force', '--ignore', ...images.map((i) => fixedImageName(i, user.uid, user.gid)), ...images], {});
  }
};

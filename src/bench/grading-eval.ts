// The grading overhead: `agentpod grade --regrade RUN` of a trial of the realistic instance carrying its gold
// patch (node, the database, the sampler, the files, the container's inspect and removal) against a raw
// `podman run --rm` of the same driver on the same inputs in the same image, alternated N times.
import { chownSync, copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDb } from '../db/open.js';
import { EVAL_FILES, EVAL_MOUNT } from '../grading/driver.js';
import { packageRoot } from '../package-root.js';
import { PODMAN } from '../podman/client.js';
import { chooseRuntime } from '../run/resolve.js';
import { parseTaskRecord } from '../swebench/task.js';
import type { Bench } from './figures.js';
import { benchTempDir, benchUser, mustSucceed, runAsBenchUser, type BenchUser } from './launch.js';
import { alternate, median, ratio } from './stats.js';
import { instanceAs } from './test-images.js';

const CLI = join(packageRoot, 'dist', 'cli.js');

/** The tree to the bench user (written as root, read and written by agentpod as that user). */
function chownTree(dir: string, user: BenchUser): void {
  if (process.getuid?.() !== 0) return;
  chownSync(dir, user.uid, user.gid);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) chownTree(path, user);
    else chownSync(path, user.uid, user.gid);
  }
}

export const runGradingEvalBench: Bench = async ({ quick }) => {
  const runs = quick ? 3 : 7;
  const user = benchUser();
  const instance = await instanceAs(user);
  const dataDir = benchTempDir(user, 'agentpod-bench-eval-');
  try {
    // A finished trial whose agent left the gold patch (the row and folder a trial writes).
    const runId = 'bench-eval-gold';
    const runDir = join(dataDir, 'runs', runId);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'patch.diff'), instance.patches.gold);
    writeFileSync(join(runDir, 'task.json'), JSON.stringify(parseTaskRecord(instance.records.swebench, 'bench')));
    const db = openDb(join(dataDir, 'agentpod.db'));
    db.prepare(
      `INSERT INTO runs (id, status, started_at, image, profile, workdir, share_mode, session_id, container_name, run_dir, prompt_bytes, prompt_sha256,
         owner_pid, owner_host, source_image, instance_id, base_commit)
       VALUES (?, 'ok', 0, ?, 'default', '/testbed', 'host', ?, 'none', ?, 0, '', 0, 'bench', ?, ?, ?)`,
    ).run(runId, instance.image, `bench-session-${runId}`, runDir, instance.image, instance.instanceId, instance.baseCommit);
    db.close();
    chownTree(dataDir, user);
    const grade = async (regrade: boolean) => mustSucceed('agentpod grade', await runAsBenchUser(user, process.execPath, [CLI, 'grade', runId, '--data-dir', dataDir, ...(regrade ? ['--regrade'] : [])], {}));
    // Warm-up, not counted: the image's first container; its inputs are what the raw run gets too.
    await grade(false);
    const rawDir = join(dataDir, 'raw');
    mkdirSync(rawDir);
    for (const f of [EVAL_FILES.driver, EVAL_FILES.modelPatch, EVAL_FILES.testPatch, EVAL_FILES.evalScript]) copyFileSync(join(runDir, 'eval', 'attempt-1', f), join(rawDir, f));
    chownTree(rawDir, user);
    const runtime = chooseRuntime();
    const raw = async () => {
      for (const f of [EVAL_FILES.applyLog, EVAL_FILES.testOutput, EVAL_FILES.status]) rmSync(join(rawDir, f), { force: true });
      const started = performance.now();
      const argv = ['run', '--rm', '--network=none', '--user', '0:0', '--workdir', '/testbed', ...(runtime ? ['--runtime', runtime] : []), '-v', `${rawDir}:${EVAL_MOUNT}`, '--entrypoint', '/bin/bash', instance.image, `${EVAL_MOUNT}/${EVAL_FILES.driver}`];
      mustSucceed('raw podman run of the grading driver', await runAsBenchUser(user, PODMAN, argv, {}));
      return performance.now() - started;
    };
    const { subjectMs, baselineMs } = await alternate(runs, () => grade(true), raw);
    const value = median(subjectMs);
    const baseline = median(baselineMs);
    return [
      {
        name: `grading overhead: agentpod grade of the realistic instance's gold patch vs raw podman run --rm of the same driver (median of ${runs})`,
        value: Math.round(value),
        unit: 'ms',
        baseline: Math.round(baseline),
        ratio: ratio(value, baseline),
        note: `overhead ${Math.round(value - baseline)} ms: node start and modules, the database rows, the sampler, inspect and removal of the named container`,
      },
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
};

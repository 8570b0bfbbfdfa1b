// Grading one run, as the harness's run_instance grades one prediction: the run's patch applied in a fresh
// container of its instance's source image, the eval script run, the log graded; one evaluations row per
// grading (never overwritten), the run row carrying the latest verdict, the files in <run folder>/eval/.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../db/open.js';
import { ConfigError, UserError } from '../errors.js';
import type { Profile } from '../profiles.js';
import { chooseRuntime } from '../run/resolve.js';
import { inspectImage } from '../swebench/source-image.js';
import type { SwebenchTask } from '../swebench/task.js';
import { driverScript, EVAL_FILES, NO_REPO_EXIT, parseDriverStatus } from './driver.js';
import { buildEvalScript, patchFiles, type EvalScript } from './eval-script.js';
import { runEvalContainer, type EvalContainerResult } from './evaluate.js';
import { gradeTestOutput, harnessReport, harnessReportJson, parserFor, type GradeResult, type TestsStatus } from './index.js';
import { insertEvaluation, nextAttempt, type EvaluationRow, type EvalStatus } from './store.js';

export interface GradingOptions {
  evalProfile: Profile;
  /** --test-cmd: the test command instead of the record's. */
  testCmd?: string;
  /** --log-parser: the parser instead of the record's. */
  logParser?: string;
  sampleIntervalMs: number;
  /** The command the grading container's podman client runs under (a Slurm step), by container name. */
  clientPrefix?: (containerName: string) => string[];
}

/** What grading a record needs, checked before anything runs: a ConfigError names what is missing. */
export interface GradingPlan {
  task: SwebenchTask;
  parser: string;
  evalScript: EvalScript;
}

export function planGrading(task: SwebenchTask, opts: Pick<GradingOptions, 'testCmd' | 'logParser'>): GradingPlan {
  try {
    return { task, parser: parserFor(task, opts.logParser).name, evalScript: buildEvalScript({ task, testCmd: opts.testCmd }) };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`cannot grade: ${e.message} (or run without grading: --no-grade)`);
    throw e;
  }
}

export interface GradeRequest {
  db: Db;
  runId: string;
  plan: GradingPlan;
  options: GradingOptions;
  signal?: AbortSignal;
  log: (line: string) => void;
}

interface RunFacts {
  run_dir: string;
  status: string;
  source_image: string | null;
  base_commit: string | null;
}

const TIMEOUT_NOTE = (ms: number) => `\n\nTimeout error: ${Math.round(ms / 1000)} seconds exceeded.`;

/** Grades the run; resolves with its evaluations row, or null when the grading was interrupted (no row). */
export async function gradeRun(req: GradeRequest): Promise<EvaluationRow | null> {
  const { db, runId, plan, options } = req;
  const run = db.prepare('SELECT run_dir, status, source_image, base_commit FROM runs WHERE id = ?').get(runId) as RunFacts | undefined;
  if (!run) throw new UserError(`no run ${runId} in the database`, 2);
  if (run.status === 'running') throw new UserError(`run ${runId} is still running (or its agentpod died: agentpod sweeps it on its next start)`, 2);
  if (!run.source_image) throw new UserError(`run ${runId} is not a SWE-bench trial (it has no source image), so there is nothing to grade it against`, 2);

  const attempt = nextAttempt(db, runId);
  const evalId = `${runId}/eval-${attempt}`;
  const evalDir = join(run.run_dir, 'eval', `attempt-${attempt}`);
  rmSync(evalDir, { recursive: true, force: true });
  mkdirSync(evalDir, { recursive: true });
  const started = Date.now();
  const profile = options.evalProfile;
  const base: Omit<EvaluationRow, 'status' | 'message' | 'finished_at' | 'duration_ms'> = {
    id: evalId,
    run_id: runId,
    attempt,
    instance_id: plan.task.instanceId,
    parser: plan.parser,
    eval_type: plan.task.evalType,
    eval_script_origin: plan.evalScript.origin,
    source_image: run.source_image,
    eval_profile: profile.name,
    memory_limit_bytes: profile.memoryBytes,
    cpus: profile.cpus,
    timeout_ms: profile.timeoutMs,
    eval_dir: evalDir,
    started_at: started,
  };
  const finish = (status: EvalStatus, message: string, fields: Partial<EvaluationRow> = {}): EvaluationRow => {
    const finishedAt = Date.now();
    const row = insertEvaluation(db, { ...base, ...fields, status, message, finished_at: finishedAt, duration_ms: finishedAt - started });
    publishLatest(join(run.run_dir, 'eval'), evalDir);
    req.log(`grading ${evalId}: ${status}: ${message}`);
    return row;
  };

  const patchFile = join(run.run_dir, 'patch.diff');
  const patchBytes = existsSync(patchFile) ? statSync(patchFile).size : 0;
  if (patchBytes === 0) return finish('empty_patch', 'the run left no patch: nothing to test (counted unresolved)', { patch_bytes: 0 });
  copyFileSync(patchFile, join(evalDir, EVAL_FILES.modelPatch));

  let image;
  try {
    image = await inspectImage(run.source_image);
  } catch (e) {
    return finish('error', `cannot inspect the source image ${run.source_image}: ${(e as Error).message}`, { patch_bytes: patchBytes });
  }
  if (!image) return finish('error', `the source image ${run.source_image} is gone (podman image inspect finds no such image)`, { patch_bytes: patchBytes });
  const testPatch = plan.task.testPatch;
  const baseCommit = plan.task.baseCommit ?? run.base_commit;
  if (!baseCommit) return finish('error', 'neither the task record nor the run names the base commit', { patch_bytes: patchBytes });
  writeFileSync(join(evalDir, EVAL_FILES.evalScript), plan.evalScript.text);
  writeFileSync(join(evalDir, EVAL_FILES.testPatch), testPatch ?? '');
  writeFileSync(join(evalDir, EVAL_FILES.driver), driverScript({ baseCommit, testPatchFiles: testPatch ? patchFiles(testPatch) : null }));

  const container = `agentpod-eval-${runId}-${attempt}`;
  const ran = await runEvalContainer({
    db,
    spec: {
      name: container,
      imageId: image.Id,
      evalId,
      runId,
      evalDir,
      runtime: chooseRuntime(),
      memoryBytes: profile.memoryBytes,
      memorySwapBytes: profile.memorySwapBytes,
      cpus: profile.cpus,
      pidsLimit: profile.pidsLimit,
      backstopSeconds: profile.timeoutMs === null ? null : Math.ceil(profile.timeoutMs / 1000) + 60,
      owner: { pid: process.pid, host: hostname() },
    },
    clientPrefix: options.clientPrefix?.(container) ?? [],
    timeoutMs: profile.timeoutMs,
    sampleIntervalMs: options.sampleIntervalMs,
    signal: req.signal,
    log: req.log,
  });
  if (ran.interrupted) {
    // Thrown away whole: an interrupted grading leaves neither a row nor a half-written folder.
    db.prepare('DELETE FROM samples WHERE run_id = ?').run(evalId);
    rmSync(evalDir, { recursive: true, force: true });
    return null;
  }
  const [status, message, fields] = verdict(evalDir, plan, ran, profile);
  return finish(status, message, { ...fields, patch_bytes: patchBytes, source_image_id: image.Id, container_name: container, ...measured(ran) });
}

function measured(ran: EvalContainerResult): Partial<EvaluationRow> {
  return { sample_source: ran.sampler?.source ?? null, sample_count: ran.sampler?.samples ?? null, peak_memory_bytes: ran.sampler?.peakMemoryBytes ?? null, cpu_seconds: ran.sampler?.cpuSeconds ?? null };
}

type Verdict = [EvalStatus, string, Partial<EvaluationRow>];

/** The status from what the container left: driver status, test output, and how the container ended. */
function verdict(evalDir: string, plan: GradingPlan, ran: EvalContainerResult, profile: Profile): Verdict {
  const file = (name: string) => join(evalDir, name);
  const status = parseDriverStatus(existsSync(file(EVAL_FILES.status)) ? readFileSync(file(EVAL_FILES.status), 'utf8') : '');
  const applied = { patch_applied_with: status.apply === 'failed' ? null : status.apply, test_patch_applied: status.testPatch === null || status.testPatch === 'none' ? null : status.testPatch === 'ok' ? 1 : 0 };
  const logPath = existsSync(file(EVAL_FILES.testOutput)) ? file(EVAL_FILES.testOutput) : null;
  if (ran.error) return ['error', ran.error, applied];
  if (status.apply === 'failed') {
    return ['patch_failed', `the patch does not apply (git apply, git apply --3way, git apply --reject and patch --fuzz=5 all refused it); see ${file(EVAL_FILES.applyLog)}`, applied];
  }
  if (ran.timedOut) {
    if (logPath) writeFileSync(logPath, TIMEOUT_NOTE(profile.timeoutMs ?? 0), { flag: 'a' });
    return ['timeout', `the tests were still running after ${Math.round((profile.timeoutMs ?? 0) / 1000)} s (evaluation profile ${profile.name}): stopped`, { ...applied, log_path: logPath }];
  }
  if (ran.exitCode === NO_REPO_EXIT) return ['error', 'the source image has no /testbed', applied];
  if (status.evalExit === null || !logPath) {
    const why = ran.oomKilled ? 'the grading container was OOM-killed' : `the grading container ended (exit ${ran.exitCode ?? '?'}) before the eval script finished`;
    return ['error', `${why}; see ${file('container.log')}`, { ...applied, log_path: logPath }];
  }
  const graded: GradeResult = gradeTestOutput(readFileSync(logPath, 'utf8'), {
    instanceId: plan.task.instanceId,
    failToPass: plan.task.failToPass,
    passToPass: plan.task.passToPass,
    parser: plan.parser,
    evalType: plan.task.evalType,
  });
  const reportPath = file('report.json');
  writeFileSync(reportPath, harnessReportJson(harnessReport({ instanceId: plan.task.instanceId, modelPatch: readFileSync(file(EVAL_FILES.modelPatch), 'utf8'), grade: graded })));
  const fields: Partial<EvaluationRow> = {
    ...applied,
    log_path: logPath,
    report_path: reportPath,
    resolution: graded.logValid ? graded.resolution : null,
    test_exit_code: graded.testExitCode,
    tests_status: graded.testsStatus ? JSON.stringify(graded.testsStatus) : null,
    ...(graded.testsStatus ? counts(graded.testsStatus) : {}),
  };
  if (status.testPatch === 'failed') return ['log_invalid', 'the test patch does not apply onto the base versions of its files, so the tests that grade the run are not the instance\'s', fields];
  if (!graded.logValid || !graded.testsStatus) return ['log_invalid', `the test log cannot be graded: ${graded.invalidReason}`, fields];
  const f2p = graded.testsStatus.FAIL_TO_PASS;
  const p2p = graded.testsStatus.PASS_TO_PASS;
  const tally = `FAIL_TO_PASS ${f2p.success.length}/${f2p.success.length + f2p.failure.length}, PASS_TO_PASS ${p2p.success.length}/${p2p.success.length + p2p.failure.length} pass`;
  if (graded.resolved) return ['resolved', `${graded.resolution}: ${tally}`, fields];
  const failing = [...f2p.failure, ...p2p.failure];
  const shown = failing.slice(0, 5).join(', ') + (failing.length > 5 ? ` (+${failing.length - 5} more)` : '');
  return ['unresolved', `${graded.resolution}: ${tally}${failing.length ? `; failing: ${shown}` : ''}`, fields];
}

function counts(s: TestsStatus): Partial<EvaluationRow> {
  return { f2p_success: s.FAIL_TO_PASS.success.length, f2p_failure: s.FAIL_TO_PASS.failure.length, p2p_success: s.PASS_TO_PASS.success.length, p2p_failure: s.PASS_TO_PASS.failure.length };
}

/** eval/ holds the latest attempt's files (each attempt keeps its own folder, which the rows point to). */
function publishLatest(evalRoot: string, attemptDir: string): void {
  for (const name of [EVAL_FILES.evalScript, EVAL_FILES.testOutput, 'report.json', EVAL_FILES.applyLog, EVAL_FILES.modelPatch]) {
    const from = join(attemptDir, name);
    const to = join(evalRoot, name);
    if (existsSync(from)) {
      copyFileSync(from, `${to}.tmp`);
      renameSync(`${to}.tmp`, to);
    } else rmSync(to, { force: true });
  }
}

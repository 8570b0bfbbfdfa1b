// The offline demo, as a normal user: the realistic instance image (docs/instances.md), the scripted Messages
// API on loopback, one SWE-bench trial of the real Claude Code CLI on the instance's SWE-bench record, graded as
// the harness grades it, then what a researcher would look at: verdict, patch, per-tool resources, report.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { findQuery } from '../analysis/index.js';
import { formatRows } from '../analysis/output.js';
import type { Db } from '../db/open.js';
import { ensureInstanceImage, type Instance } from '../instances/instance.js';
import { loadScript } from '../mockapi/script.js';
import { startMockApi } from '../mockapi/server.js';
import { packageRoot } from '../package-root.js';
import { loadProfile } from '../profiles.js';
import { loadRunReport, renderRunReport } from '../report/run-report.js';
import { executeTrial, fixCache, type ExecutedTrial } from '../batch/execute-trial.js';
import { planGrading } from '../grading/grade-run.js';
import { loadTemplate } from '../swebench/prompt.js';
import { parseTaskRecord, type SwebenchTask } from '../swebench/task.js';

export const DEMO_SCRIPT = join(packageRoot, 'traces', 'scripts', 'demo.yaml');

/** Credentials that must not follow the demo to its loopback server, nor into the container. */
const REAL_CREDENTIALS = ['CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_AUTH_TOKEN'];

export interface DemoResult {
  instance: Instance;
  /** The instance's SWE-bench record the trial ran. */
  task: SwebenchTask;
  /** The trial with its grading. */
  outcome: ExecutedTrial;
  patch: string | null;
  reportPath: string;
  toolResources: string;
}

export async function runDemo(opts: { db: Db; dataDir: string; signal: AbortSignal; log: (line: string) => void }): Promise<DemoResult> {
  const { db, dataDir, log } = opts;
  const instance = await ensureInstanceImage(undefined, { log });
  const task = parseTaskRecord(instance.records.swebench, instance.recordFiles.swebench);
  const api = await startMockApi(loadScript(DEMO_SCRIPT));
  // The launch passes these by name (-e NAME), so they are set in this process only.
  process.env.ANTHROPIC_BASE_URL = api.url;
  process.env.ANTHROPIC_API_KEY = 'sk-agentpod-demo-offline';
  process.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  for (const name of REAL_CREDENTIALS) delete process.env[name];
  log(`scripted Messages API on ${api.url} (${DEMO_SCRIPT})`);
  try {
    const { uid, gid } = userInfo();
    const sampleIntervalMs = 100;
    const grading = { evalProfile: loadProfile('eval'), sampleIntervalMs };
    const ctx = { db, dataDir, template: loadTemplate(), launch: { shareMode: 'host' as const, sampleIntervalMs }, grading, uid, gid, signal: opts.signal, log };
    const outcome = await executeTrial(ctx, { task, image: instance.image, profile: loadProfile('default'), fix: fixCache(ctx), grading: planGrading(task, {}), log });

    const patchFile = join(outcome.runDir, 'patch.diff');
    const toolResources = findQuery('tool-resources');
    const reportPath = join(outcome.runDir, 'report.html');
    writeFileSync(reportPath, renderRunReport(loadRunReport(db, outcome.runId)));
    return {
      instance,
      task,
      outcome,
      patch: existsSync(patchFile) ? readFileSync(patchFile, 'utf8') : null,
      reportPath,
      toolResources: formatRows(toolResources.run(db, { runId: outcome.runId }), toolResources.columns, 'table', process.stdout.columns ?? 120),
    };
  } finally {
    await api.close();
  }
}

// Closing summary of `npm run test:faults`: cases run and passed, containers leaked, rows lost or
// duplicated. A leak or a lost/duplicated row fails the run even if every case passed on its own.
import type { Reporter, TestModule } from 'vitest/node';
import { leakedContainers } from './helpers.js';

export default class FaultSummaryReporter implements Reporter {
  async onTestRunEnd(testModules: ReadonlyArray<TestModule>): Promise<void> {
    let run = 0;
    let passed = 0;
    let lost = 0;
    let duplicated = 0;
    let rowChecks = 0;
    const failed: string[] = [];
    const notRun: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'skipped' || state === 'pending') {
          notRun.push(test.fullName);
          continue;
        }
        run++;
        if (state === 'passed') passed++;
        else failed.push(test.fullName);
        const check = test.meta().rowCheck;
        if (check) {
          rowChecks++;
          lost += check.lost;
          duplicated += check.duplicated;
        }
      }
    }
    let leaked: string[];
    try {
      leaked = await leakedContainers();
    } catch (e) {
      leaked = [`(could not list containers: ${(e as Error).message})`];
    }
    const lines = [
      '',
      'fault suite summary',
      `  cases run:                ${run}`,
      `  cases passed:             ${passed}`,
      ...failed.map((name) => `    FAILED: ${name}`),
      ...(notRun.length ? [`  cases not run:            ${notRun.length}`, ...notRun.map((name) => `    not run: ${name}`)] : []),
      `  containers leaked:        ${leaked.length}${leaked.length ? ` (${leaked.join(', ')})` : ''}`,
      `  rows lost:                ${lost} (over ${rowChecks} row checks)`,
      `  rows duplicated:          ${duplicated}`,
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (leaked.length > 0 || lost > 0 || duplicated > 0 || notRun.length > 0) process.exitCode = 1;
  }
}
